"""journald export / json conversion against a real systemd-journald and journalctl.

The real test starts a private ``systemd-journald`` (its own journal namespace, inside a private
mount namespace over tmpfs, so nothing of the host journal is touched), logs through the native
protocol, and compares kubewhy's conversion of ``journalctl -o export`` and ``-o json`` with
``journalctl -o short-iso`` itself. The constructed-record tests (see PROVENANCE.md) cover what
a live journald cannot be made to write (binary fields in odd places, truncation).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from kubewhy.scanning import PatternSpec, Scanner
from kubewhy.sources.journal_export import JournalFormatError
from kubewhy.sources.streams import open_stream

JOURNALD = next(
    (
        path
        for path in (
            Path("/lib/systemd/systemd-journald"),
            Path("/usr/lib/systemd/systemd-journald"),
        )
        if path.exists()
    ),
    Path("/lib/systemd/systemd-journald"),
)

SENDER = r"""
import socket, struct, sys
def field(key, value):
    if b"\n" in value:
        return key + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return key + b"=" + value + b"\n"
entries = [
    {b"SYSLOG_IDENTIFIER": b"kubelet", b"MESSAGE": b'E0723 22:09:01.123456    1873 '
     b'kubelet.go:2189] "Skipping pod synchronization" err="PLEG is not healthy: pleg was '
     b'last seen active 3m4s ago; threshold is 3m0s"'},
    {b"SYSLOG_IDENTIFIER": b"containerd",
     b"MESSAGE": b"panic: runtime error\n\ngoroutine 1 [running]:"},
    {b"SYSLOG_IDENTIFIER": b"kernel",
     b"MESSAGE": b"Memory cgroup out of memory: Killed process 4821 (java)"},
    {b"SYSLOG_IDENTIFIER": b"kubelet", b"MESSAGE": b"caf\xc3\xa9 \xe2\x84\xaa unicode"},
]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for entry in entries:
    sock.sendto(b"".join(field(k, v) for k, v in entry.items()), sys.argv[1])
"""

RUNNER = """
set -e
ns=kubewhytest$$
mount -t tmpfs tmpfs /run/systemd
mkdir -p /var/log/journal
mount -t tmpfs tmpfs /var/log/journal
{journald} $ns 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for i in $(seq 100); do [ -S /run/systemd/journal.$ns/socket ] && break; sleep 0.05; done
{python} {sender} /run/systemd/journal.$ns/socket
journalctl --namespace=$ns --sync 2>/dev/null || sleep 0.5
TZ=UTC journalctl --namespace=$ns -a -o short-iso > {out}/short.txt
journalctl --namespace=$ns -o export > {out}/export.bin
journalctl --namespace=$ns -o json > {out}/json.txt
"""


def _real_journal(tmp_path: Path) -> Path:
    if os.geteuid() != 0 or not JOURNALD.exists() or not shutil.which("unshare"):
        pytest.skip("needs root, systemd-journald and unshare")
    sender = tmp_path / "send.py"
    sender.write_text(SENDER)
    script = RUNNER.format(journald=JOURNALD, python=sys.executable, sender=sender, out=tmp_path)
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot run a private journald here: {done.stderr[-300:]}")
    return tmp_path


def _read(path: Path) -> bytes:
    with open_stream(path) as stream:
        return stream.read()


def test_real_export_and_json_convert_like_journalctl_short_iso(tmp_path: Path) -> None:
    out = _real_journal(tmp_path)
    expected = (out / "short.txt").read_bytes()
    assert b"PLEG is not healthy" in expected  # the entries really went through journald
    assert _read(out / "export.bin") == expected
    assert _read(out / "json.txt") == expected


def test_real_export_scans_with_line_numbers_of_the_converted_text(tmp_path: Path) -> None:
    out = _real_journal(tmp_path)
    scanner = Scanner([PatternSpec(r"pleg was last seen active (?P<ago>\S+) ago", True)])
    with open_stream(out / "export.bin") as stream:
        matches = list(scanner.scan_stream(stream, chunk_size=64))
    short_lines = (out / "short.txt").read_text().splitlines()
    assert len(matches) == 1
    assert short_lines[matches[0].line_no - 1] == matches[0].text
    assert scanner.groups(0, matches[0].text) == {"ago": "3m4s"}


# Constructed records (PROVENANCE.md): written by hand to the documented export format.
def _export_entry(fields: list[tuple[bytes, bytes]]) -> bytes:
    out = b""
    for key, value in fields:
        if b"\n" in value or key == b"BINARY":
            out += key + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
        else:
            out += key + b"=" + value + b"\n"
    return out + b"\n"


def test_constructed_export_with_binary_message_and_kernel_entry(tmp_path: Path) -> None:
    data = _export_entry(
        [
            (b"__CURSOR", b"s=1;i=1"),
            (b"__REALTIME_TIMESTAMP", b"1690150141000000"),
            (b"_HOSTNAME", b"node-1"),
            (b"SYSLOG_IDENTIFIER", b"kernel"),
            (b"MESSAGE", b"oom-kill:constraint=CONSTRAINT_MEMCG\ntask=java"),
            (b"BINARY", b"\x00\x01\xff"),
        ]
    ) + _export_entry(
        [
            (b"__REALTIME_TIMESTAMP", b"1690150142500000"),
            (b"_HOSTNAME", b"node-1"),
            (b"_COMM", b"kubelet"),
            (b"SYSLOG_PID", b"812"),
            (b"MESSAGE", b"PLEG is not healthy"),
        ]
    )
    path = tmp_path / "journal.export"
    path.write_bytes(data)
    prefix = b"2023-07-23T22:09:01+0000 node-1 kernel: "
    assert _read(path) == (
        prefix
        + b"oom-kill:constraint=CONSTRAINT_MEMCG\n"
        + b" " * len(prefix)
        + b"task=java\n"
        + b"2023-07-23T22:09:02+0000 node-1 kubelet[812]: PLEG is not healthy\n"
    )


def test_constructed_json_with_byte_array_and_repeated_field(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_text(
        '{"__REALTIME_TIMESTAMP":"1690150141000000","_HOSTNAME":"n","SYSLOG_IDENTIFIER":'
        '["kubelet","dup"],"_PID":"9","MESSAGE":[80,76,69,71,255]}\n'
    )
    assert _read(path) == b"2023-07-23T22:09:01+0000 n kubelet[9]: PLEG\xff\n"


def test_truncated_binary_field_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.export"
    path.write_bytes(b"__REALTIME_TIMESTAMP=1\nMESSAGE\n" + struct.pack("<Q", 100) + b"short")
    with pytest.raises(JournalFormatError, match="truncated"), open_stream(path) as stream:
        stream.read()


def test_plain_text_with_key_value_lines_is_not_taken_for_an_export(tmp_path: Path) -> None:
    path = tmp_path / "env.txt"
    path.write_bytes(b"KUBELET_EXTRA_ARGS=--v=2\nHOME=/root\n")
    assert _read(path) == b"KUBELET_EXTRA_ARGS=--v=2\nHOME=/root\n"
