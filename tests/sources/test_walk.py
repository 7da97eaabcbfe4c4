"""A folder's walk and the head read that tells a file is no archive, against what they replace:
``os.walk`` with an ``lstat`` of each file, and a read through :func:`open_regular`."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubewhy.sources.files import SKIP_NAMES, _walk
from kubewhy.sources.streams import StreamError, open_regular, read_head


def _walked_by_os(root: Path) -> Iterator[tuple[Path, str]]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name in SKIP_NAMES or name.startswith("."):
                continue
            path = Path(dirpath) / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                yield path, path.relative_to(root).as_posix()


def _tree(root: Path) -> None:
    for rel in ("b.log", "a.log", "A.log", "a", "a1/z.log", "a/b/c.log", "a/a.log", "B/x.log"):
        path = root / rel
        if rel == "a":
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    (root / "a.d").mkdir()
    (root / "a.d" / "in.log").write_text("x")
    (root / ".hidden").write_text("x")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("x")
    (root / "README.md").write_text("x")
    (root / "expect.yaml").write_text("x")
    (root / "to-file").symlink_to(root / "b.log")
    (root / "to-dir").symlink_to(root / "a")
    (root / "broken").symlink_to(root / "nowhere")
    os.mkfifo(root / "fifo")
    (root / "name with spaces\\and\tslash.log").write_text("x")


def test_the_walk_meets_what_os_walk_and_lstat_meet_in_the_same_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    for root in (tmp_path, tmp_path / "a", Path(f"{tmp_path}/"), Path(f"{tmp_path}/./a/..")):
        assert list(_walk(root)) == list(_walked_by_os(root))
    walked = [rel for _, rel in _walk(tmp_path)]
    assert "a/b/c.log" in walked and "to-file" not in walked and "fifo" not in walked


def test_a_missing_folder_walks_empty(tmp_path: Path) -> None:
    assert list(_walk(tmp_path / "absent")) == []


@pytest.mark.parametrize("size", [0, 1, 100, 511, 512, 513, 70_000])
def test_the_head_is_what_the_stream_reads(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * (size // 256) + bytes(range(size % 256)))
    with open_regular(path) as raw:
        expected = raw.read(512)
    assert read_head(path, 512) == expected


def test_the_head_of_what_is_no_regular_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(StreamError):
        read_head(tmp_path / "fifo", 512)
    with pytest.raises(OSError):
        read_head(tmp_path / "absent", 512)
