"""Build kubewhy as one executable file for machines without a Python environment.

PyInstaller (one file, the interpreter inside), chosen over shiv and pex zipapps by measure
(README, "Packaging figures"): the zipapps need a Python 3.11 with the same ABI on the target and
unpack 145 MB into the home folder on their first run; the PyInstaller file needs only a glibc as
new as the build machine's, and starts with the CPU time of shiv and less than half pex's. Built
from the wheel in a fresh venv, so what ships is what ``pip install`` would give.

    python packaging/single_file.py dist/kubewhy-0.1.0-py3-none-any.whl --out dist/

writes ``dist/kubewhy`` and the krew archive ``dist/kubectl-kubewhy_linux_<arch>.tar.gz``
(``kubectl-kubewhy`` and ``LICENSE``); the same file is both commands, chosen by its name.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENTRY = HERE / "single_file_entry.py"
LICENSE = HERE.parent / "LICENSE"
# Seconds: a cold pip install and PyInstaller's analysis on two cores take a few minutes.
INSTALL_TIMEOUT = 900
BUILD_TIMEOUT = 900
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def _run(command: list[str], timeout: float) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise SystemExit(f"single_file: {' '.join(command[:3])}... failed:\n{tail}")


def build(wheel: Path, out: Path, python: str = sys.executable) -> tuple[Path, Path]:
    """(the executable, the krew archive), built from ``wheel`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kubewhy-single-file-") as tmp:
        work = Path(tmp)
        _run([python, "-m", "venv", str(work / "venv")], 120)
        pip = str(work / "venv" / "bin" / "pip")
        _run([pip, "install", "--quiet", str(wheel), "pyinstaller>=6.6"], INSTALL_TIMEOUT)
        pyinstaller = str(work / "venv" / "bin" / "pyinstaller")
        _run(
            [
                pyinstaller,
                *("--onefile", "--noconfirm", "--clean", "--log-level", "WARN"),
                *("--name", "kubewhy", "--collect-data", "kubewhy"),
                *("--collect-submodules", "kubewhy"),
                # Imported by name at run time, which PyInstaller's analysis does not see: the
                # redaction engine (RE2, detect-secrets' plugins, found by listing their package)
                # the zstd and ISA-L gzip decoders, and numpy (newline counting).
                *("--hidden-import", "re2", "--hidden-import", "zstandard"),
                *("--hidden-import", "numpy"),
                *("--hidden-import", "isal.igzip", "--hidden-import", "isal.igzip_threaded"),
                *("--collect-submodules", "detect_secrets"),
                *("--distpath", str(work / "dist"), "--workpath", str(work / "build")),
                *("--specpath", str(work)),
                str(ENTRY),
            ],
            BUILD_TIMEOUT,
        )
        executable = out / "kubewhy"
        shutil.copy2(work / "dist" / "kubewhy", executable)
    arch = ARCH.get(platform.machine(), platform.machine())
    archive = out / f"kubectl-kubewhy_linux_{arch}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(executable, arcname="kubectl-kubewhy")
        tar.add(LICENSE, arcname="LICENSE")
    return executable, archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--out", type=Path, default=Path("dist"))
    args = parser.parse_args()
    started = time.monotonic()
    executable, archive = build(args.wheel, args.out)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    print(f"{executable}: {executable.stat().st_size / 1e6:.1f} MB")
    print(f"{archive}: {archive.stat().st_size / 1e6:.1f} MB, sha256 {digest}")
    print(f"built in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
