"""What a counting pipeline's output means: the number ``wc -l`` or ``grep -c`` printed, a
table ``uniq -c`` grouped, the threads or descriptors of one process, the API requests per client.
The meaning is in the command line (what was listed, filtered, cut), not in the number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.components import CONTROL_PLANE
from kubewhy.model.entities import Entity
from kubewhy.model.facts import Value
from kubewhy.parsers.audit import agent_of
from kubewhy.parsers.shell import Pipeline, Stage

Output = list[tuple[int, str]]


@dataclass(frozen=True)
class Reading:
    """A fact a command's output gives: name, entity (None: the node), value, output line."""

    name: str
    value: Value
    line: int
    entity: Entity | None = None


Reader = Callable[[Pipeline, Output], list[Reading] | None]
_INT = lazy_compile(r"^\s*(-?\d+)\s*$")
_SYSTEM_SLICE = lazy_compile(r"^/sys/fs/cgroup/(?:[^/]+/)?system\.slice/?$")
_CGROUP_MEMBER_FILES = ("tasks", "cgroup.procs")
_ZOMBIE_GREP = lazy_compile(r"defunc|\^Z|^Z$|\[Z\]|\bZ\b|stat ?~ ?/?\^?Z")


def _first_int(out: Output) -> tuple[int, int] | None:
    """(value, line) of the first line that is a number (``nl | tail -1``: its first word)."""
    for n, line in out:
        found = _INT.match(line) or re.match(r"^\s*(\d+)\s+\S", line)
        if found:
            return int(found.group(1)), n
    return None


def _has_header(stage: Stage) -> bool:
    return not stage.has_flag("--no-headers", "--no-header", "--no-legend") and not (
        stage.name == "ps"
        and any(
            a in ("h", "--no-headers") or a.startswith("h")
            for a in stage.args
            if not a.startswith("-")
        )
    )


# --- one number: what did the pipeline count? ---------------------------------------------------


# kubectl's short names and singulars for the resources a fact counts by their plural name.
_RESOURCE_ALIASES = {
    "crd": "customresourcedefinitions",
    "crds": "customresourcedefinitions",
    "customresourcedefinition": "customresourcedefinitions",
    "customresourcedefinitions.apiextensions.k8s.io": "customresourcedefinitions",
}


def _count_meaning(p: Pipeline) -> tuple[str, int] | None:
    """The fact a count stands for and how much to take off (a header, the grep itself)."""
    src, greps = p.source, p.grep_patterns
    unfiltered = not p.filtered
    header = 1 if unfiltered and _has_header(src) and not p.header_dropped else 0
    if src.name == "ps":
        if any(_ZOMBIE_GREP.search(g) for g in greps):
            # `ps aux | grep defunct` lists the grep too: its command line holds the word.
            itself = 1 if any("defunc" in g for g in greps) and _shows_args(src) else 0
            return "node.zombies.total", itself
        if unfiltered:
            return ("node.threads.total" if _lists_threads(src) else "node.processes.total"), header
        return None
    if src.name == "systemctl" and src.words[:1] in (("list-units",), ("list-unit-files",)):
        unit_type = src.option("--type", "-t")
        if unit_type == "mount" or any(g.strip("'\"").endswith("mount") for g in greps):
            return "node.systemd.mount_units", header
        return ("node.systemd.units", 0) if unfiltered else None
    if (
        src.name == "find"
        and src.paths[:1]
        and src.paths[0].rstrip("/")
        in (
            "/sys/fs/cgroup/memory",
            "/sys/fs/cgroup",
        )
    ):
        return ("node.memcg.live_cgroups", 0) if src.option("-type") == "d" and unfiltered else None
    if src.name == "find" and any(_SYSTEM_SLICE.match(path) for path in src.paths) and unfiltered:
        # One cgroup per unit in each hierarchy the path names: `-type d`, or one of the files
        # every cgroup has.
        counted = src.option("-type") == "d" or src.option("-name") in _CGROUP_MEMBER_FILES
        return ("node.systemd.slice_cgroups", 0) if counted else None
    if src.name in ("kubectl", "k", "oc") and src.words[:1] == ("get",) and unfiltered:
        resource = src.words[1].split(",")[0] if len(src.words) > 1 else ""
        if resource in ("pods", "pod", "po"):
            return "cluster.pods.count", header
        if resource in ("nodes", "node", "no"):
            return "cluster.nodes.count", header
        resource = _RESOURCE_ALIASES.get(resource, resource)
        return (
            (f"cluster.objects.{re.sub(r'[^a-z0-9]', '_', resource)}", header) if resource else None
        )
    if src.name in ("docker", "crictl", "nerdctl", "podman") and src.words[:1] == ("ps",):
        return (
            ("node.containers.total", header)
            if unfiltered and src.has_flag("-a", "--all")
            else None
        )
    if (
        src.name == "ip" and src.words[:1] in (("neigh",), ("neighbor",), ("neighbour",), ("n",))
    ) or (src.name == "arp" and src.has_flag("-a", "-n")):
        # One line per neighbour entry: what gc_thresh3 limits.
        return ("node.net.neighbors", 0) if unfiltered else None
    if (src.name == "mount" and not src.args) or (
        src.name == "cat" and src.paths == ("/proc/mounts",)
    ):
        return ("node.mounts.total", 0) if unfiltered else None
    return None


def _shows_args(ps: Stage) -> bool:
    """ps prints command lines (aux, -ef, -o args/command/cmd)."""
    columns = ps.option("-o", "--format") or ""
    return (
        any("a" in w for w in ps.words)
        or ps.has_flag("-f", "-F")
        or any(c in columns for c in ("args", "command", "cmd"))
    )


_FD_DIR = lazy_compile(r"^/proc/(\d+)/fd/?$")
# A note the person typed after the command (``ls /proc/3113/fd | wc -l # containerd``).
_ANNOTATION = lazy_compile(r"#\s*([A-Za-z][\w.-]{1,40})\s*$")


def read_fd_count(p: Pipeline, out: Output) -> list[Reading] | None:
    """``ls /proc/PID/fd | wc -l``: the descriptors a process holds (``ls -l`` adds its
    ``total`` line, ``-a`` the ``.`` and ``..`` entries); the process named by a note after the
    command, else by its PID."""
    src = p.source
    if not p.counts_lines or src.name != "ls" or len(src.paths) != 1:
        return None
    found = _FD_DIR.match(src.paths[0])
    if found is None:
        return None
    counted = _first_int(out)
    if counted is None:
        return []
    less = (1 if src.has_flag("-l") else 0) + (2 if src.has_flag("-a") else 0)
    pid = int(found.group(1))
    note = _ANNOTATION.search(p.text)
    process = Entity.process(pid, note.group(1) if note else f"pid {pid}")
    value, line = counted
    return [Reading("process.open_fds", max(0, value - less), line, process)]


def read_count(p: Pipeline, out: Output) -> list[Reading] | None:
    meaning = _count_meaning(p) if p.counts_lines else None
    if meaning is None:
        return None
    found = _first_int(out)
    if found is None:
        return []
    name, less = meaning
    value, line = found
    return [Reading(name, max(0, value - less), line)]


# --- the threads of one program: `ps -eLf | grep calico-node | wc -l`, /proc/PID/task -----------

_PROGRAM = lazy_compile(r"[\w.:+-]{3,}")
_TASK_DIR = lazy_compile(r"^/proc/(\d+)/task/?$")
_STATUS_FILE = lazy_compile(r"^/proc/(\d+)/status$")


def read_program_threads(p: Pipeline, out: Output) -> list[Reading] | None:
    """Threads of one program, counted three ways people do: a thread listing filtered by the
    program's name and counted (``ps -eLf | grep NAME | wc -l``: the processes whose command
    line holds NAME, so a lower bound on no single process), the entries of ``/proc/PID/task``,
    and the ``Threads:`` line of ``/proc/PID/status``."""
    src = p.source
    if src.name == "ls" and p.counts_lines and len(src.paths) == 1 and not p.filtered:
        task_dir = _TASK_DIR.match(src.paths[0])
        if task_dir is None:
            return None
        found = _first_int(out)
        pid = int(task_dir.group(1))
        entity = Entity.process(pid, f"pid {pid}")
        return [Reading("process.threads", found[0], found[1], entity)] if found else []
    if src.name == "cat" and len(src.paths) == 1 and (status := _STATUS_FILE.match(src.paths[0])):
        for n, line in out:
            threads = re.match(r"^\s*Threads:\s*(\d+)\s*$", line)
            if threads:
                pid = int(status.group(1))
                entity = Entity.process(pid, f"pid {pid}")
                return [Reading("process.threads", int(threads.group(1)), n, entity)]
        return None
    if src.name != "ps" or not p.counts_lines or not _lists_threads(src):
        return None
    greps = [g.strip("'\"") for g in p.grep_patterns]
    if len(greps) != 1 or not _PROGRAM.fullmatch(greps[0]) or _ZOMBIE_GREP.search(greps[0]):
        return None
    found = _first_int(out)
    if found is None:
        return []
    # The grep's own process matches its pattern when ps prints command lines, unless a
    # `grep -v grep` took it out.
    drops_grep = any(s.name == "grep" and s.has_flag("-v") and "grep" in s.words for s in p.filters)
    itself = 1 if _shows_args(src) and not drops_grep else 0
    # The processes of one program are taken as the container that runs it: a pod's container
    # is most often named after its program, and the evidence line shows the grep it rests on.
    program = Entity.container(greps[0].rsplit("/", 1)[-1])
    return [Reading("container.threads", max(0, found[0] - itself), found[1], program)]


def _lists_threads(ps: Stage) -> bool:
    """ps prints one line per thread (-L, -T, -m, or the L of BSD options)."""
    return ps.has_flag("-L", "-T", "-m") or any("L" in w for w in ps.words)


# --- tables of counts: `ps -o stat,ppid,comm | grep ^Z | sort | uniq -c` -------------------------


def read_grouped_zombies(p: Pipeline, out: Output) -> list[Reading] | None:
    src = p.source
    columns = [c.split("=")[0] for c in (src.option("-o", "--format") or "").split(",") if c]
    if (
        not p.groups_counted
        or src.name != "ps"
        or "ppid" not in columns
        or not any(_ZOMBIE_GREP.search(g) for g in p.grep_patterns)
    ):
        return None
    ppid_at = columns.index("ppid") + 1  # after uniq's count
    per_parent: dict[int, tuple[int, int]] = {}
    total = 0
    for n, line in out:
        cells = line.split()
        if len(cells) <= ppid_at or not cells[0].isdigit() or not cells[ppid_at].isdigit():
            continue
        count, parent = int(cells[0]), int(cells[ppid_at])
        total += count
        seen, first = per_parent.get(parent, (0, n))
        per_parent[parent] = (seen + count, first)
    if not total:
        return []
    readings = [Reading("node.zombies.total", total, out[0][0])]
    for parent, (count, first_line) in per_parent.items():
        entity = Entity.process(parent, "pid 1" if parent == 1 else f"pid {parent}")
        readings.append(Reading("process.zombie_children", count, first_line, entity))
    return readings


# --- inotify instances counted per process: who holds the per-user instance limit --------------

# Each inotify instance is one descriptor whose link reads ``anon_inode:inotify``: people list
# them with ``find /proc/*/fd -lname anon_inode:inotify``, ``readlink`` over /proc/*/fd/* or
# ``lsof`` piped to ``grep inotify``, then count them per process with ``uniq -c``.
_INOTIFY_LISTERS = frozenset(("find", "readlink", "ls", "lsof"))
# ps's -o columns in AIX descriptors and in names: which of them a row's words are.
_PS_COLUMN = {"%p": "pid", "%U": "user", "%u": "user", "%c": "comm", "%a": "args", "%P": "ppid"}
_PS_NAMES = {"pid", "user", "euser", "ruser", "comm", "ucomm", "args", "command", "cmd", "ppid"}


def _lists_inotify(p: Pipeline) -> bool:
    src = p.source
    if src.name not in _INOTIFY_LISTERS:
        return False
    if src.name == "find" and "inotify" in (src.option("-lname") or ""):
        return True
    return any("inotify" in g for g in p.grep_patterns)


def _row_columns(p: Pipeline) -> list[str]:
    """The columns after uniq's count: the -o columns of a ps the pipeline runs (through
    ``xargs``), else one name (``cut``, ``awk '{print $1}'``, ``ps -o comm``)."""
    for stage in p.stages:
        args = list(stage.args)
        if stage.name == "xargs" and "ps" in args:
            args = args[args.index("ps") + 1 :]
        elif stage.name != "ps":
            continue
        spec = Stage("ps", tuple(args)).option("-o", "--format") or ""
        columns = []
        for word in re.split(r"[,\s]+", spec):
            name = _PS_COLUMN.get(word) or word.split("=")[0].lower()
            columns.append("comm" if name in ("ucomm", "command", "cmd") else name)
        if columns and all(c in _PS_NAMES for c in columns):
            return ["user" if c in ("euser", "ruser") else c for c in columns]
    return ["comm"]


def _holder_of(cells: list[str], columns: list[str]) -> dict[str, str]:
    """A row's words by column; the args column takes what the others leave."""
    if "args" not in columns:
        return dict(zip(columns, cells, strict=False))
    at = columns.index("args")
    after = len(columns) - at - 1
    row = dict(zip(columns[:at], cells[:at], strict=False))
    row.update(zip(columns[at + 1 :], cells[len(cells) - after :] if after else [], strict=False))
    return row


def read_inotify_holders(p: Pipeline, out: Output) -> list[Reading] | None:
    """inotify instances listed per process (or per program, or in all): the most one user
    holds in the listing, and the holder with most. A listing cut by ``head`` or filtered by
    user is a lower bound, which is all the readings claim."""
    if not _lists_inotify(p) or not (p.groups_counted or p.counts_lines):
        return None
    if p.counts_lines:
        found = _first_int(out)
        return [Reading("node.inotify.instances", found[0], found[1])] if found else []
    columns = _row_columns(p)
    per_user: dict[str, int] = {}
    top: tuple[int, str, int | None, int] | None = None  # count, name, pid, line
    first_line = None
    for n, line in out:
        cells = line.split()
        if len(cells) < 2 or not cells[0].isdigit():
            continue
        count = int(cells[0])
        row = _holder_of(cells[1:], columns)
        name = (row.get("comm") or row.get("args") or "").rsplit("/", 1)[-1]
        pid = row.get("pid", "")
        if not name:
            continue
        first_line = first_line or n
        user = row.get("user", "")
        per_user[user] = per_user.get(user, 0) + count
        if top is None or count > top[0]:
            top = (count, name, int(pid) if pid.isdigit() else None, n)
    if top is None or first_line is None:
        return []
    count, holder, holder_pid, at = top
    readings = [
        Reading("node.inotify.instances", max(per_user.values()), first_line),
        Reading("node.inotify.top_holder", holder, at),
        Reading("node.inotify.top_holder_instances", count, at),
    ]
    if holder_pid is not None:
        # One process (not a program's processes summed): a single holder of many instances.
        readings.append(Reading("node.inotify.top_process_instances", count, at))
    return readings


# --- requests to the API server counted per client -----------------------------------------------

# A count of the API server's requests grouped by the client's user agent: `jq .userAgent
# audit.log | sort | uniq -c`, `grep -o '"userAgent":"[^"]*"' ... | uniq -c`, or the same over
# the HTTP log's userAgent= or a trace's user-agent:.
_AGENT_FIELD = lazy_compile(r"user_?agent|user-agent", re.IGNORECASE)
_COUNTED_ROW = lazy_compile(r"^\s*(\d+)\s+(\S.*?)\s*$")
# The control plane's own clients and the kubelets: heavy API users by design.
SYSTEM_AGENTS = frozenset({*CONTROL_PLANE, "kubelet", "kube-proxy"})


# One client's requests, picked by a jq filter on its user agent (``jq 'select(.userAgent ==
# "X")' audit.log | jq .requestURI | sort | uniq -c``): the rows are its request URIs.
_ONE_AGENT = lazy_compile(r"""select\(\s*\.userAgent\s*==\s*\\?"([^"\\]+)\\?"\s*\)""")
# A request URI that lists a whole collection (a resource with no object name after it, across
# the cluster or in one namespace), not a watch.
_COLLECTION = lazy_compile(
    r"^/(?:api/v1|apis/[^/?]+/[^/?]+)(?:/namespaces/[^/?]+)?/[a-z0-9.-]+/?(?:\?(?![^\s]*\bwatch=(?:true|1)\b)\S*)?$"
)


def read_one_agent_requests(p: Pipeline, out: Output) -> list[Reading] | None:
    """One client's requests counted by URI: its count and how many listed whole collections
    (a count cut by ``head`` is a lower bound; that client's share of all is not shown)."""
    chosen = _ONE_AGENT.search(p.text)
    if not p.groups_counted or chosen is None or "requestURI" not in p.text:
        return None
    count = lists = 0
    at = None
    for n, line in out:
        row = _COUNTED_ROW.match(line)
        if row is None:
            continue
        at = n if at is None else at
        number = int(row.group(1))
        count += number
        lists += number if _COLLECTION.match(row.group(2).strip("'\"")) else 0
    agent = agent_of(chosen.group(1))
    if at is None or agent in SYSTEM_AGENTS:
        return []
    cluster = Entity.cluster()
    return [
        Reading("apiserver.requests_by_agent.top", agent, at, cluster),
        Reading("apiserver.requests_by_agent.top_count", count, at, cluster),
        Reading("apiserver.requests_by_agent.top_collection_lists", lists, at, cluster),
    ]


def read_agent_counts(p: Pipeline, out: Output) -> list[Reading] | None:
    """Requests per client product; the busiest non-system client's count and, when the whole
    count is shown (no ``head``), its share of all requests."""
    if not p.groups_counted or not _AGENT_FIELD.search(p.text) or _ONE_AGENT.search(p.text):
        return None
    per_agent: dict[str, tuple[int, int]] = {}
    total = 0
    for n, line in out:
        row = _COUNTED_ROW.match(line)
        if row is None:
            continue
        raw = row.group(2).strip("'\"")
        raw = re.sub(r'^.*?(?:user_?agent|user-agent)"?\s*[:=]\s*"?', "", raw, flags=re.I)
        count, agent = int(row.group(1)), agent_of(raw)
        total += count
        seen, first = per_agent.get(agent, (0, n))
        per_agent[agent] = (seen + count, first)
    others = {a: c for a, c in per_agent.items() if a not in SYSTEM_AGENTS}
    if not others:
        return []
    top = max(others, key=lambda a: others[a][0])
    count, at = others[top]
    cluster = Entity.cluster()
    readings = [
        Reading("apiserver.requests_by_agent.top", top, at, cluster),
        Reading("apiserver.requests_by_agent.top_count", count, at, cluster),
    ]
    if not p.sampled:
        readings.append(Reading("apiserver.requests_by_agent.total", total, at, cluster))
        share = round(count / total, 4)
        readings.append(Reading("apiserver.requests_by_agent.top_share", share, at, cluster))
    return readings
