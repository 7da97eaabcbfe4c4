"""A command line as typed at a prompt: its pipeline, and what the pipeline does to the output.

The output of ``ps aux | grep defunct | wc -l`` is one number whose meaning lives only in the
command line: a count of zombie lines (one of them the grep itself). A listing cut by ``| head``
is a sample, one filtered by ``| grep`` a subset: neither is a total. This module reads a command
line into stages so that readers of outputs can say what a number or a listing stands for.

>>> p = parse_command("sudo ps -eo stat,ppid,comm | grep ^Z | sort | uniq -c")
>>> p.source.name, p.source.args, p.grep_patterns, p.groups_counted, p.sampled
('ps', ('-eo', 'stat,ppid,comm'), ['^Z'], True, False)
>>> parse_command("systemctl list-units --all | wc -l").counts_lines
True
>>> parse_command("cat /proc/sys/kernel/pid_max").source.paths
('/proc/sys/kernel/pid_max',)
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from kubewhy.model.components import of_file_name, of_journal_identifier, of_pod_name

# Wrappers whose own arguments end where the real command starts.
_WRAPPERS = {"sudo", "nohup", "env", "nice"}
# Programs that run a command line given as a string: what they print is that command's output.
_SHELLS = {"sh", "bash", "zsh", "dash", "ash", "ksh"}
_NSENTER_ARGS_END = "--"


@dataclass(frozen=True, slots=True)
class Stage:
    """One command of a pipeline, wrappers (sudo, env, nsenter ... --) removed."""

    name: str
    args: tuple[str, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(a for a in self.args if a.startswith("/"))

    @property
    def words(self) -> tuple[str, ...]:
        """Arguments that are not options."""
        return tuple(a for a in self.args if not a.startswith("-"))

    def has_flag(self, *flags: str) -> bool:
        """Any of ``flags`` given, also inside a group of short flags (``-eLf`` has ``-L``)."""
        for arg in self.args:
            if arg in flags:
                return True
            if arg.startswith("-") and not arg.startswith("--"):
                letters = set(arg[1:])
                if any(len(f) == 2 and f[0] == "-" and f[1] in letters for f in flags):
                    return True
        return False

    def option(self, *names: str) -> str | None:
        """The value of an option (``--type=mount``, ``--type mount``, ``-o stat,ppid``)."""
        for index, arg in enumerate(self.args):
            for name in names:
                if arg.startswith(name + "=") and name.startswith("--"):
                    return arg.split("=", 1)[1]
                if arg == name and index + 1 < len(self.args):
                    return self.args[index + 1]
                if len(name) == 2 and arg.startswith(name) and len(arg) > 2:
                    return arg[2:]
        return None


def drops_header(stage: Stage) -> bool:
    """The stage only drops a listing's first line, its header (``awk 'NR>1'``, ``tail -n +2``,
    ``sed 1d``): every row is kept, so what follows still counts them all.

    >>> drops_header(Stage("awk", ("NR > 1",))), drops_header(Stage("tail", ("-n", "+2")))
    (True, True)
    >>> drops_header(Stage("awk", ("{print $1}",)))
    False
    """
    program = "".join(stage.words).replace(" ", "")
    if stage.name in ("awk", "gawk", "mawk"):
        return program in ("NR>1", "NR!=1", "FNR>1", "NR>=2")
    if stage.name == "sed":
        return program == "1d"
    if stage.name == "tail":
        return stage.option("-n", "--lines") == "+2" or stage.words == ("+2",)
    return False


@dataclass(frozen=True, slots=True)
class Pipeline:
    text: str
    stages: tuple[Stage, ...]

    @property
    def source(self) -> Stage:
        return self.stages[0]

    @property
    def filters(self) -> tuple[Stage, ...]:
        return self.stages[1:]

    @property
    def grep_patterns(self) -> list[str]:
        """Patterns of the greps that keep matching lines (``grep -v`` ones are exclusions)."""
        found = []
        for stage in self.stages[1:]:
            if stage.name in ("grep", "egrep", "fgrep", "zgrep") and not stage.has_flag("-v"):
                pattern = stage.option("-e") or next(iter(stage.words), None)
                if pattern is not None:
                    found.append(pattern)
        return found

    @property
    def counts_lines(self) -> bool:
        """The output is one number: the lines the pipeline kept (``wc -l``, ``grep -c``,
        ``nl | tail -1`` keeps the last number)."""
        last = self.stages[-1]
        if last.name == "wc" and last.has_flag("-l"):
            return True
        if last.name in ("grep", "egrep") and last.has_flag("-c"):
            return True
        names = [s.name for s in self.stages]
        return names[-2:] == ["nl", "tail"]

    @property
    def groups_counted(self) -> bool:
        return any(s.name == "uniq" and s.has_flag("-c") for s in self.stages[1:])

    @property
    def sampled(self) -> bool:
        """Only part of the output was kept (``head``, ``tail``, ``less``, ``more``)."""
        if self.counts_lines:
            return False
        return any(s.name in ("head", "tail") and not drops_header(s) for s in self.stages[1:])

    @property
    def filtered(self) -> bool:
        return any(
            s.name in ("grep", "egrep", "fgrep", "awk", "sed") and not drops_header(s)
            for s in self.stages[1:]
        )

    @property
    def header_dropped(self) -> bool:
        return any(drops_header(s) for s in self.stages[1:])

    @property
    def writes(self) -> bool:
        """The command changes the node (``sysctl -w``, ``echo 1 > /proc/...``): its output is
        not the state that was diagnosed."""
        src = self.source
        if src.name == "sysctl" and (src.has_flag("-w") or any("=" in w for w in src.words)):
            return True
        return re.search(r">>?\s*/(?:proc|sys)/", self.text) is not None


# One step of the word splitter: a run of blanks, a run of operator characters, a comment, or
# one piece of a word (plain characters, a quoted string, an escaped character). Each piece is
# matched whole by one regex step, so splitting is linear in the line, however long its words.
_PIECES = re.compile(
    r"""(?P<blank>[ \t\r\n]+)
      | (?P<operator>[|;&<>]+)
      | (?P<comment>\#[^\n]*\n?)
      | (?P<plain>[^ \t\r\n|;&<>\#'"\\]+)
      | '(?P<single>[^']*)'
      | "(?P<double>(?:[^"\\]|\\.)*)"
      | \\(?P<escaped>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_DOUBLE_ESCAPE = re.compile(r'\\([\\"])')


def split_words(text: str) -> list[str] | None:
    r"""The words and operators of a command line, as ``shlex.shlex(text, posix=True,
    punctuation_chars="|;&<>")`` with ``whitespace_split`` splits them, in linear time (shlex
    grows each word a character at a time: quadratic in a long word). None for an unclosed quote
    or a trailing backslash.

    >>> split_words(r"ps -eo 'stat,ppid' | grep \^Z>/tmp/x # a comment")
    ['ps', '-eo', 'stat,ppid', '|', 'grep', '^Z', '>', '/tmp/x']
    >>> split_words(r'echo "a \"b\" \$c"'), split_words("echo ''&&x"), split_words("echo 'open")
    (['echo', 'a "b" \\$c'], ['echo', '', '&&', 'x'], None)
    """
    words: list[str] = []
    word: list[str] = []
    in_word = False  # a word is open (it may be empty: '' is a word)
    at, end = 0, len(text)
    while at < end:
        found = _PIECES.match(text, at)
        if found is None:  # an unclosed quote or a backslash at the end
            return None
        at = found.end()
        kind = found.lastgroup
        if kind in ("plain", "single", "escaped"):
            word.append(found.group(kind))
            in_word = True
        elif kind == "double":
            word.append(_DOUBLE_ESCAPE.sub(r"\1", found.group(kind)))
            in_word = True
        else:
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            if kind == "operator":
                words.append(found.group(kind))
    if in_word:
        words.append("".join(word))
    return words


def _stage(words: list[str]) -> Stage | None:
    while words:
        head = posixpath.basename(words[0])
        if head in _WRAPPERS:
            words = words[1:]
            while words and (words[0].startswith("-") or "=" in words[0]):
                words = words[1:]
            continue
        if head == "nsenter":
            words = (
                words[words.index(_NSENTER_ARGS_END) + 1 :] if _NSENTER_ARGS_END in words else []
            )
            continue
        # Distributions' bundled clients: ``k3s kubectl``, ``microk8s kubectl``,
        # ``microk8s.kubectl``, ``k3s crictl`` are the tools themselves.
        if head in _BUNDLERS and len(words) > 1 and words[1] in _BUNDLED:
            words = words[1:]
            continue
        if head.startswith("microk8s.") and head[len("microk8s.") :] in _BUNDLED:
            return Stage(head[len("microk8s.") :], tuple(words[1:]))
        return Stage(head, tuple(words[1:]))
    return None


_BUNDLERS = frozenset(("k3s", "microk8s", "rke2"))
_BUNDLED = frozenset(("kubectl", "crictl", "ctr"))


def parse_command(text: str) -> Pipeline | None:
    """The pipeline of a single command line; None for lists of commands (``a; b``, ``a && b``),
    unbalanced quotes and empty lines. A loop that runs one command over a list of words
    (``for f in /proc/*/fd/*; do readlink -f $f; done | grep inotify``) is that command given
    the whole list: what it prints is the same lines.

    >>> p = parse_command("for f in /proc/*/fd/*; do readlink -f $f; done | grep inotify")
    >>> p.source, p.grep_patterns
    (Stage(name='readlink', args=('-f', '/proc/*/fd/*')), ['inotify'])
    """
    tokens = split_words(text)
    if tokens is None:
        return None
    tokens = _loop_as_command(tokens)
    if tokens is None:
        return None
    stages: list[Stage] = []
    current: list[str] = []
    for token in tokens:
        if token == "|":
            stage = _stage(current)
            if stage is None:
                return None
            stages.append(stage)
            current = []
        elif token in (";", "&&", "||", "&"):
            return None
        elif set(token) <= {"<", ">", "&", "|"}:
            current.append(token)  # a redirection: kept for ``writes``
        else:
            current.append(token)
    stage = _stage(current)
    if stage is None:
        return None
    stages.append(stage)
    inner = _inner_command(stages[0])
    if inner is not None and inner != text:
        unwrapped = parse_command(inner)
        if unwrapped is not None:
            return Pipeline(text, (*unwrapped.stages, *stages[1:]))
    return Pipeline(text, tuple(stages))


_LOOP_VARIABLE = re.compile(r"[A-Za-z_]\w*")


def _loop_as_command(tokens: list[str]) -> list[str] | None:
    """``for V in W...; do CMD ... $V ...; done REST`` as ``CMD ... W... REST``; other token
    lists as they are. None for a loop whose body is more than one command or does not use V
    as a whole word (what it prints is then not one command's output over the list)."""
    if tokens[:1] != ["for"]:
        return tokens
    if len(tokens) < 4 or tokens[2] != "in" or not _LOOP_VARIABLE.fullmatch(tokens[1]):
        return None
    variable = tokens[1]
    try:
        do = tokens.index("do")
        done = tokens.index("done", do)
    except ValueError:
        return None
    words, body, rest = tokens[3:do], tokens[do + 1 : done], tokens[done + 1 :]
    if words[-1:] == [";"]:
        words = words[:-1]
    if body[-1:] == [";"]:
        body = body[:-1]
    uses = {f"${variable}", f"${{{variable}}}"}
    if not words or not body or any(w in (";", "|", "&&", "||", "&") for w in body + words):
        return None
    if sum(1 for w in body if w in uses) != 1:
        return None
    return [w for b in body for w in (words if b in uses else [b])] + rest


def _inner_command(stage: Stage) -> str | None:
    """The command line a shell's ``-c`` or ``watch`` runs (``watch -n1 'ps aux | wc -l'``,
    ``sudo sh -c "cat /proc/sys/kernel/pid_max"``)."""
    args = list(stage.args)
    if stage.name in _SHELLS and "-c" in args[:-1]:
        return args[args.index("-c") + 1]
    if stage.name == "watch":
        words: list[str] = []
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif words or not arg.startswith("-"):
                words.append(arg)
            else:
                skip = arg in ("-n", "--interval", "-q", "--equexit")
        return " ".join(words) or None
    return None


# ssh's options that take a value (OpenSSH ssh(1)): the host is the first other word.
_SSH_VALUED = frozenset("-B -b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w".split())
_EXEC_CLIENTS = frozenset({"kubectl", "k", "oc", "docker", "podman", "nerdctl", "crictl"})


def remote_command(stage: Stage) -> Stage | None:
    """The command a stage runs on another machine or in a container: ``ssh [opts] HOST CMD``,
    ``minikube ssh [--] CMD``, ``kubectl exec POD -- CMD``, ``docker exec [opts] C CMD``.

    >>> remote_command(parse_command("minikube ssh -- date").source)
    Stage(name='date', args=())
    >>> remote_command(parse_command("ssh -p 2222 root@node-2 date -u").source)
    Stage(name='date', args=('-u',))
    >>> remote_command(parse_command("kubectl exec -n kube-system etcd-0 -- date").source)
    Stage(name='date', args=())
    >>> remote_command(parse_command("docker exec -u app -it web date").source)
    Stage(name='date', args=())
    """
    args = list(stage.args)
    rest: list[str] | None = None
    if stage.name == "minikube" and args[:1] == ["ssh"]:
        rest = args[2:] if args[1:2] == ["--"] else args[1:]
    elif stage.name == "ssh":
        at = 0
        while at < len(args) and args[at].startswith("-"):
            at += 2 if args[at] in _SSH_VALUED else 1
        rest = args[at + 1 :]
    elif stage.name in _EXEC_CLIENTS and "exec" in args:
        after = args[args.index("exec") + 1 :]
        if "--" in after:
            rest = after[after.index("--") + 1 :]
        elif stage.name not in ("kubectl", "k", "oc"):
            words = tuple(w for w in after if not w.startswith("-"))
            target = _operand(stage, words, ("-e", "--env"), ("-u", "--user"), ("-w", "--workdir"))
            rest = after[after.index(target) + 1 :] if target else None
    if not rest:
        return None
    return _stage(list(rest))


@dataclass(frozen=True, slots=True)
class Origin:
    """Whose output a command shows: the component (and pod) whose log it fetches, and the
    program that printed it when the program speaks for itself."""

    component: str | None = None
    pod: str | None = None
    namespace: str | None = None
    # The program whose own words the output is (``kubectl apply``'s throttling notice); None
    # for viewers of others' words (``cat``, ``journalctl``, ``kubectl describe``).
    program: str | None = None


# Programs that only show what others wrote.
_VIEWERS = frozenset(
    "cat tac tail head less more grep egrep fgrep zgrep zcat awk sed journalctl dmesg".split()
)
# Sub-commands of cluster and container clients that show others' words (events, logs).
_VIEWING_SUBCOMMANDS = frozenset("describe events get logs inspect log".split())
_CLUSTER_CLIENTS = frozenset({"kubectl", "k", "oc", "docker", "podman", "nerdctl", "crictl", "ctr"})
_HEX_ID = re.compile(r"^[0-9a-f]{12,64}$")
_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")


def origin_of(pipeline: Pipeline) -> Origin:
    """Whose output ``pipeline`` shows.

    >>> o = origin_of(parse_command("kubectl logs -n kube-system coredns-5d78c9869d-x2x4l"))
    >>> o.component, o.pod, o.namespace, o.program
    ('coredns', 'coredns-5d78c9869d-x2x4l', 'kube-system', None)
    >>> origin_of(parse_command("sudo journalctl -u containerd.service --no-pager | tail"))
    Origin(component='containerd', pod=None, namespace=None, program=None)
    >>> origin_of(parse_command("kubectl apply -f big.yaml")).program
    'kubectl'
    >>> origin_of(parse_command("podman exec -it mongo_db /bin/bash")).program
    'mongo_db'
    >>> origin_of(parse_command("docker exec -u app -e A=1 -w /srv api sh")).program
    'api'
    >>> origin_of(parse_command("kubectl describe pod web-1 -n prod | grep -A5 'Last State'"))
    Origin(component=None, pod='web-1', namespace='prod', program=None)
    """
    src = pipeline.source
    words = src.words
    sub = words[0] if words else ""
    if src.name in _CLUSTER_CLIENTS:
        words = after_global_options(src)
        sub = words[0] if words else ""
    if src.name in _CLUSTER_CLIENTS and sub in ("logs", "log"):
        return _fetched_logs(src, words[1:])
    if src.name in _CLUSTER_CLIENTS and sub == "exec":
        return _exec_target(src, words[1:])
    if src.name == "journalctl":
        unit = src.option("-u", "--unit") or src.option("-t", "--identifier")
        if unit:
            return Origin(component=of_journal_identifier(_unit_name(unit)))
        if src.has_flag("-k", "--dmesg"):
            return Origin(component="kernel")
        return Origin()
    if src.name == "dmesg":
        return Origin(component="kernel")
    if src.name == "systemctl" and sub == "status" and len(words) > 1:
        return Origin(component=of_journal_identifier(_unit_name(words[1])))
    if src.name in _VIEWERS:
        named = next((of_file_name(posixpath.basename(p)) for p in src.paths), None)
        return Origin(component=named)
    if src.name in _CLUSTER_CLIENTS and sub in _VIEWING_SUBCOMMANDS:
        described = described_object(pipeline)
        if described is None:
            return Origin()
        kind, name, namespace = described
        return Origin(pod=name if kind == "pod" else None, namespace=namespace)
    return Origin(program=src.name)


_KINDS = {
    "pod": "pod",
    "pods": "pod",
    "po": "pod",
    "node": "node",
    "nodes": "node",
    "no": "node",
    "event": "event",
    "events": "event",
    "ev": "event",
}
# kubectl options that take a value (the value is a word, not the object).
_VALUED = ("-n", "--namespace", "-l", "--selector", "-o", "--output", "--context", "--kubeconfig")


def described_object(pipeline: Pipeline) -> tuple[str, str | None, str | None] | None:
    """What ``kubectl describe|get|events`` shows: the kind (``pod``, ``node``, ``event``, or the
    word typed), the object's name when one is named, and the namespace option.

    >>> described_object(parse_command("kubectl -n kube-system describe po/coredns-x"))
    ('pod', 'coredns-x', 'kube-system')
    >>> described_object(parse_command("kubectl describe nodes"))
    ('node', None, None)
    >>> described_object(parse_command("kubectl get events -n prod --sort-by=.lastTimestamp"))
    ('event', None, 'prod')
    """
    src = pipeline.source
    if src.name not in ("kubectl", "k", "oc"):
        return None
    namespace = src.option("-n", "--namespace")
    values = {value for option in _VALUED if (value := src.option(option))}
    words = [w for w in src.args if not w.startswith("-") and w not in values and "=" not in w]
    if not words or words[0] not in ("describe", "get", "events"):
        return None
    if words[0] == "events":
        return ("event", None, namespace)
    if len(words) < 2:
        return None
    typed, name = words[1], words[2] if len(words) > 2 else None
    if "/" in typed:
        typed, _, name = typed.partition("/")
    return (_KINDS.get(typed.lower(), typed.lower()), name or None, namespace)


def after_global_options(src: Stage) -> tuple[str, ...]:
    """The words from the subcommand on, when options and their values come before it
    (``kubectl -n kube-system logs web-1``: ``logs web-1``).

    >>> after_global_options(Stage("kubectl", ("-n", "kube-system", "logs", "-p", "web-1")))
    ('logs', 'web-1')
    """
    skip = False
    for index, arg in enumerate(src.args):
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in _VALUED
        else:
            return tuple(a for a in src.args[index:] if not a.startswith("-"))
    return ()


def _operand(src: Stage, args: tuple[str, ...], *value_options: tuple[str, str]) -> str | None:
    """The first word of ``args`` that is not the value of one of ``value_options`` (option
    values are words too: ``-n prod web-1`` names web-1), nor a ``key=value``."""
    values = {v for names in value_options if (v := src.option(*names))}
    return next((w for w in args if w not in values and "=" not in w), None)


_NAMESPACE = ("-n", "--namespace")
_CONTAINER = ("-c", "--container")


def _fetched_logs(src: Stage, args: tuple[str, ...]) -> Origin:
    namespace = src.option(*_NAMESPACE)
    target = _operand(src, args, _NAMESPACE, _CONTAINER)
    if target is None:
        return Origin()
    kind, _, name = target.rpartition("/")
    if src.name in ("kubectl", "k", "oc"):
        pod = name if kind in ("", "pod", "pods", "po") else None
        component = of_pod_name(name) or (name if kind else None)
        return Origin(component=component, pod=pod, namespace=namespace)
    return Origin(component=None if _HEX_ID.match(name) else of_journal_identifier(name))


def _exec_target(src: Stage, args: tuple[str, ...]) -> Origin:
    """Output of a command run inside a container (``docker exec -it db bash``, ``kubectl exec
    web-1 -- sh``) is that container's: its name stands for the writer, whatever program inside
    printed the words (a shell's refused fork is the container's limit, not the shell's)."""
    namespace = src.option(*_NAMESPACE)
    target = _operand(
        src, args, _NAMESPACE, _CONTAINER, ("-e", "--env"), ("-u", "--user"), ("-w", "--workdir")
    )
    if target is None or target == "--":
        return Origin()
    name = target.rpartition("/")[2]
    if not _CONTAINER_NAME.match(name):
        return Origin()  # a placeholder the poster left (<cid>), not a name
    if src.name in ("kubectl", "k", "oc"):
        return Origin(pod=name, namespace=namespace, program=name)
    return Origin(program=None if _HEX_ID.match(name) else name)


def _unit_name(unit: str) -> str:
    return re.sub(r"\.(?:service|scope|socket)$", "", unit)
