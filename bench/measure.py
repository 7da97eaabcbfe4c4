"""Whole-process timing shared by the benches: wall clock, CPU seconds and peak RSS of a child
process from ``wait4`` (its own and those of the children it waited for), runs of several
commands interleaved so that they share the machine's load, medians with min and max.

    python bench/measure.py --repeat 5 'old=python -m kubewhy rules' 'new=...'

Best-of-N flatters whichever side had the luckiest run; the median of interleaved runs, with
its spread, is what the tables report.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mib: float
    code: int
    stdout: bytes = b""


@dataclass
class Series:
    label: str
    samples: list[Sample] = field(default_factory=list)

    def stat(self, attribute: str) -> tuple[float, float, float]:
        values = [getattr(s, attribute) for s in self.samples]
        return statistics.median(values), min(values), max(values)

    def cell(self, attribute: str, digits: int = 2) -> str:
        median, low, high = self.stat(attribute)
        return f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def run(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    stdin: int | None = None,
    keep_stdout: bool = False,
    cwd: str | None = None,
    one_core: bool = False,
) -> Sample:
    """One run of ``command``: the whole process, start-up included. ``one_core`` pins it to
    one CPU (it inherits this process's affinity, set for the spawn and restored)."""
    out = subprocess.PIPE if keep_stdout else subprocess.DEVNULL
    allowed = os.sched_getaffinity(0)
    if one_core:
        os.sched_setaffinity(0, {min(allowed)})
    started = time.monotonic()
    child = subprocess.Popen(
        list(command),
        stdout=out,
        stderr=subprocess.DEVNULL,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    if one_core:
        os.sched_setaffinity(0, allowed)
    data = child.stdout.read() if keep_stdout and child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(wall, cpu, usage.ru_maxrss / 1024, child.returncode, data)


def interleave(
    commands: Mapping[str, Sequence[str]],
    repeat: int,
    env: Mapping[str, str] | None = None,
    envs: Mapping[str, Mapping[str, str]] | None = None,
    keep_stdout: bool = False,
) -> dict[str, Series]:
    """``repeat`` rounds, each running every command once in turn."""
    series = {label: Series(label) for label in commands}
    for _ in range(repeat):
        for label, command in commands.items():
            chosen = (envs or {}).get(label, env)
            series[label].samples.append(run(command, chosen, keep_stdout=keep_stdout))
    return series


def table(series: Mapping[str, Series], digits: int = 2) -> str:
    rows = [
        "| command | wall s median (min-max) | CPU s median (min-max) | peak RSS MiB | exit |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in series.values():
        codes = sorted({x.code for x in s.samples})
        rss = max(x.rss_mib for x in s.samples)
        rows.append(
            f"| {s.label} | {s.cell('wall', digits)} | {s.cell('cpu', digits)} | {rss:.0f} "
            f"| {','.join(map(str, codes))} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("commands", nargs="+", help="LABEL=COMMAND (shell words)")
    args = parser.parse_args()
    commands = {}
    for item in args.commands:
        label, _, command = item.partition("=")
        commands[label] = shlex.split(command)
    print(table(interleave(commands, args.repeat)))


if __name__ == "__main__":
    main()
