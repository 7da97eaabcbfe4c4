"""Pasted terminal sessions: one file holding commands and their outputs.

People paste what their terminal showed: prompts in many styles, a command, its output, the next
prompt. Each prompt starts a section; a section's output is detected and parsed on its own, with
the command that produced it (:class:`Prompt`), and the prompt's host says which node it is from.

Prompt styles recognised (``cmd`` stands for the command):

- ``user@host:~$ cmd``, ``[root@host dir]# cmd`` (a host name redacted in part, as in
  ``aks-pool-######-vmss0001``, stays one name), ``(venv)user@host:/tmp$ cmd``,
  ``10.0.0.5 root@host:/# cmd`` (an address before the prompt);
- ``host ~ # cmd``, ``host [~]$ cmd``, ``Mac:~ user$ cmd`` (host, then a path or a user);
- bare ``$ cmd``, ``# cmd``, ``% cmd``, ``> cmd``, ``/ # cmd``, ``~ # cmd`` and the arrows of zsh
  themes (``➜ cmd``, ``✗ cmd``, ``❯ cmd``, ``➜  ~ cmd``, ``➜  repo git:(main) ✗ cmd``);
- zsh's default ``host% cmd``, a shell's ``bash-4.2$ cmd``, PowerShell's ``PS C:\\> cmd``;
- the ``==> FILE <==`` header ``head`` and ``tail`` print above each of several files, read as
  ``cat FILE``.

A prompt without ``user@host`` counts only when its command starts with a known command or a path
to a program, so that ``# HELP``, ``# comment`` or ``> quoted text`` never start a section. The
scan is one pass over the lines: linear in the size of the paste.

>>> s = transcript_sections("root@n1:~# uname -r\\n4.4.0-104-generic\\nroot@n1:~# nproc\\n8\\n")
>>> [(sec.start, sec.prompt.command, sec.body.splitlines()[1:]) for sec in s]
[(1, 'uname -r', ['4.4.0-104-generic']), (3, 'nproc', ['8'])]
>>> prompt_of("kube-3 ~ # systemctl list-units --all | wc -l")
Prompt(host='kube-3', command='systemctl list-units --all | wc -l')
>>> prompt_of("/ # ps -o stat,ppid,comm | grep ^Z | wc -l")
Prompt(host=None, command='ps -o stat,ppid,comm | grep ^Z | wc -l')
>>> prompt_of("busybox-85d8-k4v49:~# ping -c1 kubernetes.default")
Prompt(host='busybox-85d8-k4v49', command='ping -c1 kubernetes.default')
>>> prompt_of("# HELP node_procs_blocked Number of processes blocked") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubewhy.lazy_re import lazy_compile
from kubewhy.parsers.shell import parse_command

# Commands people run while collecting evidence on a node (and the shell built-ins they type).
KNOWN_COMMANDS = frozenset(
    """
    alternatives apt awk aws az blkid brctl bridge cat cd cgget chronyc command conntrack
    containerd coredumpctl cp crictl crio ctr curl cut date df dig dmesg docker dockerd dpkg du
    echo egrep eksctl env etcdctl ethtool export fgrep file find findmnt firewall-cmd free
    gcloud getconf getent go grep head helm host hostname hwclock id inotify-info iostat ip
    ip6tables ip6tables-save ipset iptables iptables-legacy iptables-legacy-save iptables-nft
    iptables-nft-save iptables-save ipvsadm java jcmd journalctl jstack k k3s kill kubeadm
    kubectl kubelet less ln ls lsblk lscpu lsmod lsns lsof minikube mkdir modprobe more mount
    mtr nc nerdctl netstat nft nl nproc nsenter nslookup nstat ntpq numactl openssl perf pgrep
    pidof ping pkill podman printf ps pstree python python3 readlink resolvectl rke2 rm rmdir
    rpm runc sar sed service sort ss ssh stat strace sudo sysctl systemctl systemd-cgls
    systemd-cgtop systemd-resolve tail talosctl taskset tcpdump timedatectl top touch
    traceroute tree tshark ufw ulimit umount uname uniq update-alternatives uptime vmstat watch
    wc wget which xargs yum zcat zgrep
    """.split()
)

_USER_HOST = lazy_compile(
    r"^(?:\d{1,3}(?:\.\d{1,3}){3}\s+)?(?:\([\w.-]+\)\s?)?\[?[\w.-]+@(?P<host>[\w.-]+(?:[#*]+[\w.-]+)*)"
    r"(?::[^\s#$%\]]*)?(?:\s+[^\s#$%\]]+)?\]?\s?[#$%]\s?(?P<cmd>.*?)\s*$"
)
_HOST_PATH = lazy_compile(
    r"^(?P<host>[A-Za-z][\w.-]*)(?::\S*)?\s+(?:\[[^\]\s]*\]|~\S*|/\S*|[\w.-]+)\s?[#$%]\s(?P<cmd>.*?)\s*$"
)
# Alpine's and BusyBox ash's default PS1 ``\h:\w\$ ``: ``web-7d4f:~# cmd``, ``node1:/etc# cmd``.
_HOST_COLON_PATH = lazy_compile(
    r"^(?P<host>[A-Za-z][\w.-]*):(?:~|/)[^\s#$%]*[#$%]\s(?P<cmd>.*?)\s*$"
)
_BARE = lazy_compile(r"^\s*(?:[~/][^\s#$%]*\s)?(?:[#$%>❯➜✗λ»]\s+)(?P<cmd>\S.*?)\s*$")
# Prompts that name no user@host: zsh themes' arrow and directory (``➜  ~ cmd``, ``➜  repo
# git:(main) ✗ cmd``), zsh's default ``host% cmd`` or ``host % cmd``, a shell's own ``bash-4.2$
# cmd``, PowerShell's ``PS C:\> cmd``.
_THEMED = lazy_compile(
    r"^\s*[➜❯]\s+[^\s]+(?:\s+git:\([^)]*\))?(?:\s+[✗✔])?\s+(?P<cmd>\S.*?)\s*$"
    r"|^(?P<host>[A-Za-z][\w.-]*)\s?%\s+(?P<cmd2>\S.*?)\s*$"
    r"|^(?:ba|z|k|da)?sh-\d+(?:\.\d+)*[#$]\s+(?P<cmd3>\S.*?)\s*$"
    r"|^PS [A-Za-z]:\\[^>]*>\s+(?P<cmd4>\S.*?)\s*$"
)
_ENV_PREFIX = lazy_compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+")


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt line: the host it names (if any) and the command typed after it."""

    host: str | None
    command: str


# A shell loop typed on one line (``for f in /proc/*/fd/*; do readlink -f $f; done | ...``): no
# log line or table row has this shape.
_ONE_LINE_LOOP = lazy_compile(r"^for [A-Za-z_]\w* in \S.*?;\s*do\s+\S.*?;\s*done\b")


def _runs_a_known_command(command: str) -> bool:
    words = _ENV_PREFIX.sub("", command).split()
    if not words:
        return False
    first = words[0]
    if first == "for":
        return _ONE_LINE_LOOP.match(command) is not None
    if first in ("sudo", "time", "nohup") and len(words) > 1:
        first = words[1]
    return first in KNOWN_COMMANDS or first.startswith(("/", "./", "~/"))


# Every prompt above ends in one of these marks: a line without any is no prompt, told by one
# scan instead of four patterns (sniffers ask this of every line of every file).
_PROMPT_MARK = lazy_compile(r"[#$%>❯➜✗λ»]")


# Commands people paste without their prompt (they copy the command line, not the prompt): only
# these programs with one of their reading subcommands, words no log line or table row starts
# with. ``k3s kubectl``, ``microk8s kubectl`` and ``rke2 kubectl`` are kubectl.
_PROMPTLESS_READS = {
    "kubectl": frozenset("get describe logs top events".split()),
    "oc": frozenset("get describe logs adm".split()),
    "crictl": frozenset("ps pods inspect inspectp logs info stats images version".split()),
    "docker": frozenset("ps inspect logs info stats version events".split()),
    "nerdctl": frozenset("ps inspect logs info stats version".split()),
    "podman": frozenset("ps inspect logs info stats version".split()),
    "journalctl": frozenset(),
    "systemctl": frozenset("status list-units".split()),
    # etcdctl's v3 reads of the cluster (``etcdctl --endpoints=... endpoint health``).
    "etcdctl": frozenset("endpoint member alarm check".split()),
    # A component's own endpoints (/metrics, /healthz, /version) read with curl.
    "curl": frozenset(),
}
_PROMPTLESS_PREFIX = frozenset(("sudo", "k3s", "microk8s", "rke2"))
# What such a line starts with: a C-level test that spares splitting every other line.
_PROMPTLESS_STARTS = (*_PROMPTLESS_READS, *_PROMPTLESS_PREFIX, "microk8s.kubectl")
# What every line that prompt_of reads as a prompt holds (a hint of the sniffs that need one,
# parsers.base.Hint): a prompt's mark (a ``==> FILE <==`` header has one too), or at its start
# a command pasted without its prompt: a one-line loop, a known command piped on, or a reading
# command.
PROMPT_HINT = re.compile(
    "|".join(
        (
            _PROMPT_MARK.pattern,
            r"^ *" + _ONE_LINE_LOOP.pattern.removeprefix("^"),
            rf"^\s*(?:{'|'.join(map(re.escape, sorted(KNOWN_COMMANDS | {'jq'})))})\s.*\|",
            rf"^\s*(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:(?:{'|'.join(sorted(_PROMPTLESS_PREFIX))})\s+)*"
            rf"(?:microk8s\.kubectl|{'|'.join(map(re.escape, sorted(_PROMPTLESS_READS)))})(?:\s|$)",
        )
    )
)


def _promptless_command(line: str) -> str | None:
    """``line`` as a command pasted without its prompt, or None.

    >>> _promptless_command(" k3s kubectl -n kube-system logs --previous coredns-7944c66d8d-w5twl")
    'k3s kubectl -n kube-system logs --previous coredns-7944c66d8d-w5twl'
    >>> _promptless_command("oc -n openshift-dns get pods -o wide")
    'oc -n openshift-dns get pods -o wide'
    >>> _promptless_command("kubectl.go:42] kubectl get failed") is None
    True
    >>> _promptless_command("ETCDCTL_API=3 etcdctl --endpoints=10.0.0.5:2379 endpoint health")
    'ETCDCTL_API=3 etcdctl --endpoints=10.0.0.5:2379 endpoint health'
    >>> _promptless_command("etcdctl: error: unknown command") is None
    True
    >>> _promptless_command(" for f in /proc/*/fd/*; do readlink -f $f; done | grep -c inotify")
    'for f in /proc/*/fd/*; do readlink -f $f; done | grep -c inotify'
    """
    if _ONE_LINE_LOOP.match(line.lstrip(" ")):
        return line.strip()
    if "|" in line and _is_pipeline_of_known_commands(line):
        return line.strip()
    # Variables set for the one command (ETCDCTL_API=3 etcdctl ...) come before its name.
    bare = _ENV_PREFIX.sub("", line.lstrip()) if line[:1].isupper() else line
    if not bare.lstrip().startswith(_PROMPTLESS_STARTS):
        return None
    words = bare.split(maxsplit=8)
    at = 0
    while at < len(words) - 1 and words[at] in _PROMPTLESS_PREFIX:
        at += 1
    program = (
        "kubectl" if words[at : at + 1] == ["microk8s.kubectl"] else "".join(words[at : at + 1])
    )
    if program not in _PROMPTLESS_READS:
        return None
    if program != "kubectl" and at and words[at - 1] in ("k3s", "microk8s", "rke2"):
        return None
    reads = _PROMPTLESS_READS[program]
    rest = words[at + 1 :]
    if not reads:
        return line.strip() if all(w.startswith("-") or w[:1].isalnum() for w in rest) else None
    # Options before the subcommand (``kubectl -n kube-system get pods``): a flag, maybe its value.
    for index, word in enumerate(rest[:5]):
        if word in reads:
            before = rest[:index]
            return line.strip() if not before or before[0].startswith("-") else None
        if not word.startswith("-") and (index == 0 or not rest[index - 1].startswith("-")):
            return None
    return None


# Programs people pipe a command's output into: filters, and writers of a log (to test what
# reads it: echo "..." | systemd-cat -t kernel).
_FILTERS = frozenset(
    "awk cut grep egrep fgrep head jq logger sed sort systemd-cat tail tee tr uniq wc xargs".split()
)


def _is_pipeline_of_known_commands(line: str) -> bool:
    """A pipeline typed without its prompt: a known command (or jq over a file) piped through
    known filters (``jq '...' audit.log | grep userAgent | sort | uniq -c``). Log lines and
    prose hold ``|`` too, but not as a chain of these programs' names.

    >>> _is_pipeline_of_known_commands("ps aux | grep defunct | wc -l")
    True
    >>> _is_pipeline_of_known_commands('Trace[1]: ---"Listed" 0ms (12:00:00.000) | total 1s')
    False
    """
    first = line.split(maxsplit=1)[0] if line.strip() else ""
    if first not in KNOWN_COMMANDS and first != "jq":
        return False
    pipeline = parse_command(line.strip())
    if pipeline is None or len(pipeline.stages) < 2:
        return False
    return all(stage.name in _FILTERS for stage in pipeline.stages[1:])


# The header head and tail print above each file when given several (``==> /etc/os-release
# <==``): what follows is that file's text, as ``cat`` of it would print.
_FILE_HEADER = lazy_compile(r"^==> (?P<path>\S[^<>]*?) <==$")


def prompt_of(line: str) -> Prompt | None:
    """The prompt at the start of ``line``, or None if the line is not a prompt."""
    if not line:
        return None
    if line.startswith("==> "):
        header = _FILE_HEADER.match(line.rstrip())
        return Prompt(None, f"cat {header.group('path')}") if header else None
    # At most a stray space before it: an indented line is a script's or a manifest's text.
    bare = _promptless_command(line) if line[:3].lstrip(" ")[:1].isalpha() else None
    if bare is not None:
        return Prompt(None, bare)
    if line[0] in " \t" and not line.lstrip().startswith(("$", "#", "/", "~", ">")):
        return None
    if not _has_prompt_mark(line):
        return None
    found = _USER_HOST.match(line)
    if found:
        return Prompt(found.group("host"), found.group("cmd"))
    found = _HOST_PATH.match(line)
    if found and _runs_a_known_command(found.group("cmd")):
        return Prompt(found.group("host"), found.group("cmd"))
    found = _HOST_COLON_PATH.match(line)
    if found and _runs_a_known_command(found.group("cmd")):
        return Prompt(found.group("host"), found.group("cmd"))
    found = _BARE.match(line)
    if found and _runs_a_known_command(found.group("cmd")):
        return Prompt(None, found.group("cmd"))
    found = _THEMED.match(line)
    if found:
        command = next(c for c in found.group("cmd", "cmd2", "cmd3", "cmd4") if c is not None)
        if _runs_a_known_command(command):
            return Prompt(found.group("host"), command)
    return None


def is_typed_command(line: str) -> bool:
    """``line`` is a command someone typed (a prompt, then a known program), not output that a
    terminal printed after a prompt on the same line (a kernel console message, a log line).

    >>> is_typed_command('root@n1:~# echo "task x:7 blocked for more than 300 seconds." | logger')
    True
    >>> is_typed_command("[root@node2 ~]# [12032.818764] NMI watchdog: BUG: soft lockup")
    False
    """
    prompt = prompt_of(line)
    return prompt is not None and _runs_a_known_command(prompt.command)


def _has_prompt_mark(line: str) -> bool:
    """``_PROMPT_MARK.search(line)``, told by C-level finds when the line is ASCII (the other
    marks are not)."""
    if line.isascii():
        return "#" in line or "$" in line or "%" in line or ">" in line
    return _PROMPT_MARK.search(line) is not None


def starts_session(first_line: str) -> bool:
    return prompt_of(first_line) is not None


def prompt_host(line: str) -> str | None:
    prompt = prompt_of(line)
    return prompt.host if prompt else None


@dataclass(frozen=True, slots=True)
class Section:
    """One command of a session: the 1-based line in the file where it starts (its prompt), the
    prompt, and its own lines (a parser numbers them from 1; add ``start - 1`` for the file's)."""

    start: int
    prompt: Prompt | None
    body: str


def _lone_prompt(lines: list[str], index: int, prompt: Prompt) -> bool:
    """One prompt below other text still starts a session when nothing else writes such a
    line: ``user@host`` or ``$ `` before a command kubewhy knows (a client's log pasted, then
    the one command run after it). A lone ``# cmd`` is a comment in a config or a script."""
    if not _runs_a_known_command(prompt.command):
        return False
    return prompt.host is not None or lines[index].lstrip().startswith("$ ")


def transcript_sections(text: str) -> list[Section] | None:
    """Split a pasted terminal session into one section per command.

    A file is a session when it holds two prompts, or one prompt as its first non-blank line or
    one that only a shell writes (:func:`_lone_prompt`). Text before the first prompt is a
    section of its own (no command).
    """
    lines = text.splitlines()
    starts: list[tuple[int, Prompt]] = []
    first_text = next((i for i, line in enumerate(lines) if line.strip()), None)
    for index, line in enumerate(lines):
        prompt = prompt_of(line)
        if prompt is not None:
            starts.append((index, prompt))
    if not starts or (
        len(starts) < 2 and starts[0][0] != first_text and not _lone_prompt(lines, *starts[0])
    ):
        return None
    sections: list[Section] = []
    if starts[0][0] != 0 and any(line.strip() for line in lines[: starts[0][0]]):
        sections.append(Section(1, None, "\n".join(lines[: starts[0][0]]) + "\n"))
    for n, (start, prompt) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        sections.append(Section(start + 1, prompt, "\n".join(lines[start:end]) + "\n"))
    return sections
