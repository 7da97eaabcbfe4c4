"""uname -a, /etc/os-release, systemctl --version and systemctl list-units."""

from __future__ import annotations

import platform
import shutil
import subprocess

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.system import (
    OsReleaseFormat,
    SystemdUnitsFormat,
    SystemdVersionFormat,
    UnameFormat,
)


def test_uname_names_the_node_when_unknown(parse, facts_by_entity) -> None:
    result = parse(UnameFormat(), "uname_ubuntu.txt")
    assert facts_by_entity(result, "kernel.release") == {"node/ip-10-0-1-23": "4.4.0-104-generic"}
    known = parse(UnameFormat(), "uname_ubuntu.txt", node="worker-7")
    assert facts_by_entity(known, "kernel.release") == {"node/worker-7": "4.4.0-104-generic"}


def test_real_uname() -> None:
    done = subprocess.run(["uname", "-a"], capture_output=True, text=True, timeout=10, check=True)
    assert UnameFormat().sniff(done.stdout.splitlines()) >= 0.9
    result = UnameFormat().parse(done.stdout, Context("uname"))
    assert [f.value for f in result.facts] == [platform.release()]
    assert result.malformed == 0


def test_os_release(parse, facts) -> None:
    result = parse(OsReleaseFormat(), "os_release_debian12.txt", node="n1")
    assert facts(result, "os.id") == ["debian"]
    assert facts(result, "os.version_id") == ["12"]
    assert facts(result, "os.pretty_name") == ["Debian GNU/Linux 12 (bookworm)"]
    assert result.malformed == 0


def test_systemctl_version(parse, facts) -> None:
    result = parse(SystemdVersionFormat(), "systemctl_version.txt")
    assert facts(result, "node.systemd.version") == [252]
    assert result.malformed == 0


@pytest.mark.skipif(shutil.which("systemctl") is None, reason="no systemctl")
def test_real_systemctl_version() -> None:
    done = subprocess.run(
        ["systemctl", "--version"], capture_output=True, text=True, timeout=10, check=True
    )
    result = SystemdVersionFormat().parse(done.stdout, Context("systemctl"))
    first = done.stdout.split()[1]
    assert [f.value for f in result.facts] == [int(first)]


def test_list_units_counts_loaded_mounts_and_kubelet_ones(parse, facts) -> None:
    result = parse(SystemdUnitsFormat(), "systemctl_list_units_mount.txt", node="n1")
    # Eight loaded .mount units (the not-found one is not loaded), three under kubelet pods.
    assert facts(result, "node.systemd.mount_units") == [8]
    assert facts(result, "node.systemd.kubelet_mount_units") == [3]
    assert [r.text for r in result.records] == ["data.mount loaded failed failed /data"]
    assert result.malformed == 0


def test_list_units_without_legend() -> None:
    text = (
        "var-lib-kubelet-pods-abc-volume\\x2dsubpaths-x.mount loaded active mounted /x\n"
        "boot.mount loaded active mounted /boot\n"
        "kubelet.service loaded active running kubelet\n"
        "garbage\n"
    )
    fmt = SystemdUnitsFormat()
    result = fmt.parse(text, Context("units"))
    assert [f.value for f in result.facts if f.name == "node.systemd.mount_units"] == [2]
    assert [f.value for f in result.facts if f.name == "node.systemd.kubelet_mount_units"] == [1]
    assert result.malformed == 1
