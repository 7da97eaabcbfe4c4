"""``kubectl top node`` and ``kubectl top pod`` tables, read by the command that printed them.

kubectl's top printers (``k8s.io/kubectl/pkg/metricsutil``) write one row per node or pod from
the metrics API: the CPU in millicores (``250m``) and the working set in binary units
(``3412Mi``); for nodes also both as a percentage of the node's allocatable resources (kubectl
1.27+ headers ``CPU(%)``/``MEMORY(%)``, earlier ``CPU%``/``MEMORY%``). The percentage is of
*allocatable* memory (capacity less the kubelet's reservations), so it passes 100% on healthy
nodes with large reservations; the kubelet evicts on memory.available against capacity. The
rows name how much each pod holds, for the findings that ask which pod holds the most.

Rows become facts of the node or the pod they name: ``node.memory.working_set_percent`` and
``node.cpu.used_percent``; ``pod.memory.working_set_bytes`` and ``pod.cpu.millicores``. A
listing cut by ``head`` or filtered by ``grep`` still gives the rows it shows (each row is a
fact of its own object), never totals. ``--containers`` rows stay out: they are parts of pods.

>>> out = [(1, "NAME     CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%"),
...        (2, "node-1   1830m        91%    7412Mi          97%")]
>>> [(r.name, r.value, r.entity.name) for r in top_readings(("top", "node"), None, out)]
[('node.cpu.used_percent', 91, 'node-1'), ('node.memory.working_set_percent', 97, 'node-1')]
"""

from __future__ import annotations

import re

from kubewhy.model.entities import Entity
from kubewhy.parsers.counted import Output, Reading
from kubewhy.parsers.objects import parse_cpu_millis, parse_quantity

_PERCENT = re.compile(r"^(\d+)%$")


def top_readings(words: tuple[str, ...], namespace: str | None, out: Output) -> list[Reading]:
    """The facts of a ``kubectl top`` table; ``words`` are kubectl's words from the subcommand
    on (``top pod web-1``), ``namespace`` the ``-n`` option's value."""
    kind = words[1] if len(words) > 1 else ""
    rows = [(n, line.split()) for n, line in out if line.strip()]
    header = next(((i, cells) for i, (_, cells) in enumerate(rows) if "NAME" in cells), None)
    if header is None:
        return []
    at, columns = header
    readings: list[Reading] = []
    for n, cells in rows[at + 1 :]:
        if len(cells) != len(columns):
            continue
        row = dict(zip(columns, cells, strict=True))
        if kind in ("node", "nodes", "no"):
            readings += _node_row(row, n)
        elif kind in ("pod", "pods", "po") and "POD" not in row:
            readings += _pod_row(row, namespace, n)
    return readings


def _node_row(row: dict[str, str], line: int) -> list[Reading]:
    node = Entity.for_node(row["NAME"])
    found = []
    for name, columns in (
        ("node.cpu.used_percent", ("CPU%", "CPU(%)")),
        ("node.memory.working_set_percent", ("MEMORY%", "MEMORY(%)")),
    ):
        cell = next((row[c] for c in columns if c in row), "")
        percent = _PERCENT.match(cell)
        if percent:
            found.append(Reading(name, int(percent.group(1)), line, node))
    return found


def _pod_row(row: dict[str, str], namespace: str | None, line: int) -> list[Reading]:
    pod = Entity.pod(row["NAME"], row.get("NAMESPACE") or namespace)
    found = []
    memory = parse_quantity(row.get("MEMORY(bytes)", ""))
    if memory is not None:
        found.append(Reading("pod.memory.working_set_bytes", memory, line, pod))
    cpu = parse_cpu_millis(row.get("CPU(cores)", ""))
    if cpu is not None:
        found.append(Reading("pod.cpu.millicores", cpu, line, pod))
    return found
