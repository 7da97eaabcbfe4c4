"""Kernel and OS identity, kdump readiness, crash dumps and mount counts of a node."""

from __future__ import annotations

import os
from pathlib import Path

from kubewhy.sources.node.reader import Content, NodeReader, Unreadable

KDUMP_CONFIGS = ("/etc/default/kdump-tools", "/etc/sysconfig/kdump", "/etc/kdump.conf")
KDUMP_UNITS = ("kdump.service", "kdump-tools.service")
CRASH_DIR = "/var/crash"
MAX_CRASH_ENTRIES = 500
KUBELET_PODS = "/var/lib/kubelet/pods/"


def _text(reader: NodeReader, path: str, cap: int = 64 << 10) -> str | None:
    data = reader.read_quick(path, cap)
    return data.decode("utf-8", "replace").strip() if data is not None else None


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines of os-release, quotes removed.

    >>> parse_os_release('ID=ubuntu\\nVERSION_ID="16.04"\\n# c\\n')
    {'ID': 'ubuntu', 'VERSION_ID': '16.04'}
    """
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            found[key] = value.strip().strip("\"'")
    return found


def kdump_state(reader: NodeReader) -> dict[str, object]:
    """What says whether a crash kernel would catch a panic: the kernel's own flag first."""
    state: dict[str, object] = {}
    loaded = _text(reader, "/sys/kernel/kexec_crash_loaded")
    state["crash_loaded"] = None if loaded is None else loaded == "1"
    cmdline = _text(reader, "/proc/cmdline") or ""
    state["crashkernel"] = next(
        (arg.split("=", 1)[1] for arg in cmdline.split() if arg.startswith("crashkernel=")), None
    )
    configs: list[dict[str, object]] = []
    for path in KDUMP_CONFIGS:
        text = _text(reader, path)
        if text is None:
            continue
        use = parse_os_release(text).get("USE_KDUMP")
        configs.append({"file": path, "use_kdump": use})
    state["configs"] = configs
    units = []
    for unit in KDUMP_UNITS:
        link = f"/etc/systemd/system/multi-user.target.wants/{unit}"
        if os.path.lexists(reader.host_path(link)):
            units.append(link)
    state["enabled_units"] = units
    return state


def crash_dumps(reader: NodeReader) -> tuple[list[dict[str, object]], Unreadable | None]:
    """Files under /var/crash (two levels: distributions keep one folder per crash)."""
    base = reader.host_path(CRASH_DIR)
    entries: list[dict[str, object]] = []
    try:
        for dirpath, dirnames, filenames in os.walk(base):
            depth = len(Path(dirpath).relative_to(base).parts)
            if depth >= 1:
                dirnames[:] = []
            for name in sorted(filenames):
                full = Path(dirpath) / name
                try:
                    info = full.lstat()
                except OSError:
                    continue
                rel = "/" + full.relative_to(reader.root).as_posix()
                entries.append({"path": rel, "bytes": info.st_size, "mtime": int(info.st_mtime)})
                if len(entries) >= MAX_CRASH_ENTRIES:
                    return entries, None
    except OSError as exc:
        return entries, Unreadable(CRASH_DIR, "error", str(exc))
    if not base.is_dir():
        return entries, Unreadable(CRASH_DIR, "absent", "no crash dump folder")
    return entries, None


def mount_counts(reader: NodeReader) -> dict[str, object]:
    """Mounts in PID 1's mount namespace, and those below the kubelet's pod folders: each one is
    a systemd mount unit when systemd is PID 1 (the units that leaked with subPath mounts)."""
    pid1 = _text(reader, "/proc/1/comm")
    result = reader.read("/proc/1/mountinfo", 16 << 20)
    counts: dict[str, object] = {"pid1": pid1}
    if isinstance(result, Content):
        points = [line.split()[4] for line in result.text().splitlines() if len(line.split()) > 4]
        counts["total"] = len(points)
        counts["kubelet_pods"] = sum(1 for p in points if p.startswith(KUBELET_PODS))
        counts["kubelet_subpaths"] = sum(1 for p in points if "/volume-subpaths/" in p)
        counts["truncated"] = result.truncated
    return counts


def kernel_identity(reader: NodeReader) -> dict[str, object]:
    os_release = _text(reader, "/etc/os-release") or _text(reader, "/usr/lib/os-release")
    return {
        "hostname": _text(reader, "/proc/sys/kernel/hostname"),
        "release": _text(reader, "/proc/sys/kernel/osrelease"),
        "kernel_version": _text(reader, "/proc/sys/kernel/version"),
        "os_release": parse_os_release(os_release) if os_release else {},
        "boot_id": _text(reader, "/proc/sys/kernel/random/boot_id"),
        "uptime_seconds": _uptime(reader),
    }


def _uptime(reader: NodeReader) -> float | None:
    text = _text(reader, "/proc/uptime")
    try:
        return float(text.split()[0]) if text else None
    except ValueError:
        return None
