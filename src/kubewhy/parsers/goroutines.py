"""Go goroutine dumps, streamed and grouped by stack signature.

Shapes read:

* tracebacks from SIGQUIT/SIGABRT or a fatal error (``GOTRACEBACK=all``, ``system``, ``crash``:
  ``goroutine N [state, M minutes, locked to thread]:`` headers, frames as a function line and a
  tab-indented ``file:line +0x..`` line, ``fp= sp= pc=`` suffixes, ``created by X`` and Go
  1.21's ``created by X in goroutine N``, ``...additional frames elided...``);
* net/http/pprof ``/debug/pprof/goroutine?debug=2`` (the same shape);
* net/http/pprof ``?debug=1`` (``goroutine profile: total N`` then ``K @ 0x..`` blocks of
  ``#<tab>0x..<tab>func+0x..<tab>file:line`` lines; no states, waits or ids), also an excerpt
  that starts at a ``K @ 0x..`` line and frame lines whose tabs became spaces in a paste;
* stacks quoted without their header (an excerpt a person cut from a dump: frame and file
  lines only), also under a count line (``9 occurences. Sample stack trace:``, as Cilium's
  ``consolidate_go_stacktrace.py`` prints a group of like stacks): one goroutine each (or the
  count), its state guessed from the frames;
* gdb backtraces of a goroutine (``#4  0x.. in sync.(*Mutex).Lock (m=0x..) at
  /usr/lib/golang/src/sync/mutex.go:85``), read as frame and file lines;
* counted frame lines, as ``grep -A1 '^goroutine' dump | grep -v '^goroutine' | sort | uniq -c``
  prints them (``  16529 pkg.(*T).f(0xc000..., ...)``): each count is the goroutines whose top
  frame that is, read like a one-frame debug=1 stack;
* any of these mixed into a log, each line prefixed by journald/syslog (``Jun 14 13:14:38 host
  kubelet[123]: ``, with rsyslog's ``#011`` for a tab), a bare ``kubelet: ``, klog headers or
  RFC 3339 timestamps; two frames glued on one line (``kubelet: f()kubelet: g()``) are split.

Memory is bounded by the number of distinct stacks (times distinct wait minutes), not of
goroutines: each goroutine only bumps counters of its group. Text is read in big chunks and
cut at every ``goroutine N [``; each goroutine's text without its id is hashed and counted
with C-level string methods and a ``Counter``, so Python code runs once per distinct text, not
once per goroutine or line. The values that differ between goroutines with one stack
(arguments, frame pointers, the creator's goroutine id) are cut with regexes from texts seen
for the first time, or from whole chunks when most texts are new (see :class:`_Aggregator`).
A goroutine's group shows the files and lines of the first goroutine of that group in the
dump, and its first and longest-waiting ids are the first such goroutines in the dump. Lines
of a log go through a slower line-by-line cleaner first.

>>> dump = parse_goroutine_lines([
...     "goroutine 7 [chan send, 429 minutes]:",
...     "main.(*Store).DeleteCollection.func1(0xc00f082ba0, 0x9)",
...     "\\t/src/store.go:1074 +0x1d",
...     "created by main.(*Store).DeleteCollection in goroutine 1",
...     "\\t/src/store.go:1070 +0x8d",
... ])
>>> group = dump.groups[0]
>>> group.count, group.state, group.max_wait, group.longest_id
(1, 'chan send', 429, 7)
>>> str(group.frames[0]), group.created_by.function
('main.(*Store).DeleteCollection.func1 (/src/store.go:1074)', 'main.(*Store).DeleteCollection')
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, islice, pairwise, repeat
from operator import is_, itemgetter, methodcaller
from typing import TypeVar, cast

from kubewhy.model.components import of_stack_frames
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, ParseResult

# Histogram edges of wait times, in minutes: "<1" (no stamp), 1-9, 10-59, 60-299, 300-1439, 1440+.
WAIT_EDGES = (1, 10, 60, 300, 1440)
NO_WAIT = "<1"
ELIDED = "...additional frames elided..."
UNKNOWN_STATE = "unknown"
CHUNK_CHARS = 1 << 22
BATCH_LINES = 1 << 15
SNIFF_LINES = 200
# A record this long without a blank line is not a goroutine: flush it as noise.
MAX_PENDING = 1 << 25
# Caches of stack texts and headers; cleared when full so memory stays bounded on odd inputs.
MAX_CACHED_KEYS = 1 << 16
# Once MIN_SAMPLE goroutines went the fast path, more than one in FRESH_SHARE with frames never
# seen before (values differ between goroutines) makes the dump cut values from whole chunks.
MIN_SAMPLE = 4096
FRESH_SHARE = 4
# Text cut for the fast path (characters): its lists of pieces stay in the CPU caches.
FAST_CHARS = 1 << 18
# Key hashes remembered by the fast path (about 100 bytes each).
MAX_KINDS = 1 << 21

_DIGITS = frozenset("0123456789")
HEAD_CHARS = 1 << 16
_BLANK_LINES = re.compile(r"\n{3,}")
# Possessive repeats (``++``, ``*+``): the same matches (what follows each repeat is a character
# it cannot take), without the engine keeping the places to give characters back.
_FRAME_POINTERS = re.compile(r" fp=0x[0-9a-f]++ sp=0x[0-9a-f]++ pc=0x[0-9a-f]++")
_CREATED_IN = re.compile(r" in goroutine \d+$", re.MULTILINE)
# Only argument lists that start with a value: "(...)" and "()" are the same in every goroutine.
_ARGUMENTS = re.compile(r"\((?:0x|\{)[^()\n]*+\)$", re.MULTILINE)
_FILE_LINE = re.compile(
    r"^\s*(\S+\.(?:go|s|c)|<autogenerated>|\?):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=.*)?$"
)
_PROFILE_COUNT = re.compile(r"^(\d+) @( 0x[0-9a-f]+)*$")
# A debug=1 frame line whose tabs became spaces (a paste through a terminal or a web page).
_PROFILE_FRAME_SPACED = re.compile(r"^#[ \t]+(0x[0-9a-f]+)[ \t]+(\S+)[ \t]+(\S+:\d+)[ \t]*$")
# "  16529 pkg.(*T).f(0xc0, ...)": uniq -c's count, then a frame line with its arguments.
# A count, then a frame line with its arguments, or cut at them (``awk -F 0x``: ``f(``), or a
# created-by line (a count of goroutines by the function that started them).
_COUNTED_FRAME = re.compile(r"^[ \t]*(\d+) +(?:created by (\S+)|(\S.*\((?:.*\))?))$")
_FUNCTION_NAME = re.compile(r"^[\w$.*/%~·\-\[\](){},:;]+$")
# Prefixes of lines in logs: syslog/journald short (or ISO), RFC 3339 (kubectl --timestamps,
# CRI "stderr F"), klog headers and a bare "program[pid]: ".
_PREFIXES = re.compile(
    r"(?:[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ |"
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? (?:\S+ (?=\S+: ))?|"
    r"(?:stdout|stderr) [FP] |"
    r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\]\s]+\] |"
    r"(?P<program>[A-Za-z][\w.\-]*(?:\[\d+\])?: ))+"
)
# The count line Cilium's consolidate_go_stacktrace.py prints above a group of like stacks (its
# own spelling, and the right one).
_EXCERPT_COUNT = re.compile(r"^(\d+) occurr?ences?\. Sample stack trace:$")
# A frame of gdb's backtrace of a Go program: "#4  0x.. in f (args) at file:line" (the address
# is left out for the innermost frame); a frame whose arguments wrap to the next line is lost.
_GDB_FRAME = re.compile(r"^#\d+ +(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at (\S+\.(?:go|s|c)):(\d+)$")
# A frame line with its arguments: a name without spaces, then "(...)".
_FRAME_LIKE = re.compile(r"[^\s(]\S*\(.*\)$")


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame: the function (without arguments) and where it is."""

    function: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.function} ({self.file}:{self.line})" if self.file else self.function


@dataclass(slots=True)
class GoroutineGroup:
    """All goroutines with one stack signature (function names, innermost first)."""

    signature: tuple[str, ...]
    frames: tuple[Frame, ...]
    created_by: Frame | None
    elided: bool = False
    # debug=1 profiles carry no state: it is guessed from the frames.
    state_inferred: bool = False
    count: int = 0
    states: dict[str, int] = field(default_factory=dict)
    # (state, minutes) -> goroutines, for goroutines that carry a wait stamp.
    waits: dict[tuple[str, int], int] = field(default_factory=dict)
    locked_to_thread: int = 0
    first_id: int | None = None
    longest_id: int | None = None
    longest_wait: int | None = None
    longest_state: str | None = None

    @property
    def state(self) -> str:
        """The most common state (ties: the first seen)."""
        return max(self.states, key=self.states.__getitem__) if self.states else UNKNOWN_STATE

    @property
    def max_wait(self) -> int | None:
        return self.longest_wait

    @property
    def min_wait(self) -> int | None:
        """The shortest stamped wait; goroutines without a stamp waited under a minute."""
        if not self.waits:
            return None
        if sum(self.waits.values()) < self.count:
            return 0
        return min(minutes for _, minutes in self.waits)

    @property
    def representative_id(self) -> int | None:
        return self.longest_id if self.longest_id is not None else self.first_id

    @property
    def representative_state(self) -> str:
        return self.longest_state or self.state

    def functions(self) -> Iterator[str]:
        yield from (frame.function for frame in self.frames)
        if self.created_by:
            yield self.created_by.function

    def count_matching(self, state: re.Pattern[str] | None, min_wait: int | None) -> int:
        """Goroutines whose state matches ``state`` and that waited at least ``min_wait``."""
        if min_wait is None or min_wait <= 0:
            return sum(n for s, n in self.states.items() if state is None or state.search(s))
        return sum(
            n
            for (s, minutes), n in self.waits.items()
            if minutes >= min_wait and (state is None or state.search(s))
        )

    def histogram(self) -> dict[str, int]:
        """Goroutines per wait bucket, e.g. ``{"<1": 3, "10-59": 2}``; empty buckets left out."""
        labels = [NO_WAIT] + [f"{lo}-{hi - 1}" for lo, hi in pairwise(WAIT_EDGES)]
        labels.append(f"{WAIT_EDGES[-1]}+")
        counts = dict.fromkeys(labels, 0)
        stamped = 0
        for (_, minutes), n in self.waits.items():
            stamped += n
            index = sum(1 for edge in WAIT_EDGES if minutes >= edge)
            counts[labels[index]] += n
        counts[NO_WAIT] += self.count - stamped
        return {label: n for label, n in counts.items() if n}


@dataclass(slots=True)
class GoroutineDump:
    """A dump summarised by signature."""

    groups: list[GoroutineGroup]
    total: int
    # "goroutine profile: total N" of a debug=1 profile, when present.
    declared_total: int | None = None
    malformed: int = 0
    # Lines outside any goroutine (log noise, register dumps, the "SIGQUIT: quit" preamble).
    ignored_lines: int = 0
    shapes: frozenset[str] = frozenset()
    has_wait_times: bool = False

    def ranked(self) -> list[GoroutineGroup]:
        return sorted(self.groups, key=lambda g: (-g.count, g.signature))


@dataclass(frozen=True, slots=True)
class _Learned:
    group: GoroutineGroup
    malformed: int


class _Aggregator:
    """Folds records (blank-line separated blocks of a clean dump) into groups.

    The fast path cuts a chunk at each ``\\n\\ngoroutine `` and drops the goroutine id that
    starts every piece (``lstrip`` of digits). What remains, `` [state]:`` and the frames (its
    *key*), reads the same for goroutines that share a stack and a wait, so it is hashed at C
    speed and looked up in ``kinds``: hash -> *kind*, a small int for a (frames, header) pair;
    a ``Counter`` then counts kinds. Python code runs once per distinct kind (and C-level maps
    once per distinct key), not once per goroutine. Keys are looked up by their 64-bit string
    hash, not their text, which keeps memory small; two different keys in one dump share a
    hash with odds below 1e-8 even with a million distinct keys.

    Argument values, frame pointers and ``in goroutine N`` are cut from frames only when the
    frames are first seen. When most goroutines of a chunk bring frames never seen (values
    differ between goroutines, as in most real dumps), the dump switches to cutting those
    values from whole chunks first, with three C-level regex passes. Anything that is not a
    plain run of goroutines (noise, a bad header, a profile) goes record by record.
    """

    def __init__(self) -> None:
        self.groups: dict[tuple[str, ...], GoroutineGroup] = {}
        self.bodies: dict[str, _Learned] = {}
        self.headers: dict[str, _Header | None] = {}
        # The fast path: key hash -> kind; kind -> meaning; what a kind is made of.
        self.kinds: dict[int, int] = {}
        self.meanings: list[_KeyMeaning] = []
        self.kind_of: dict[tuple[int, int], int] = {}
        # Frames and header lines as they read in the dump -> index in frame_meanings /
        # header_meanings (the values of frames not yet cut).
        self.frame_index: dict[str, int] = {}
        self.frame_meanings: list[_Learned] = []
        self.learned_at: dict[int, int] = {}
        self.header_index: dict[str, int] = {}
        self.header_meanings: list[_Header] = []
        # Goroutines per kind since the last fold; the id of the first goroutine of each
        # kind, in order of first appearance.
        self.pending: Counter[int] = Counter()
        self.pending_ids: dict[int, int] = {}
        # Goroutines the fast path saw, and how many brought frames never seen: when those
        # are many, values differ between goroutines and are cut from whole chunks first.
        self.sampled = 0
        self.unseen_frames = 0
        self.normalise_first = False
        self.total = 0
        self.malformed = 0
        self.ignored = 0
        self.declared_total: int | None = None
        self.shapes: set[str] = set()
        self.has_waits = False
        self._pending = ""
        self._crlf: bool | None = None

    # -- text feeding ---------------------------------------------------------------------
    def feed(self, text: str) -> None:
        """Add text of a clean dump; records may span calls."""
        if self._crlf is None:
            self._crlf = "\r\n" in text[:HEAD_CHARS]
        if self._crlf:
            text = text.replace("\r\n", "\n")
        head = self._pending
        if head and self._after(head, text):
            return
        data = head + text if head else text
        cut = data.rfind("\n\n")
        if cut < 0:
            self._pending = data
            if len(data) > MAX_PENDING:
                self._pending = ""
                self._chunk(data)
            return
        self._pending = data[cut + 2 :]
        self._chunk(data, cut)  # not data[:cut]: a copy of the chunk

    def finish(self) -> GoroutineDump:
        rest = self._pending.strip("\n")
        self._pending = ""
        if rest:
            self._chunk(rest)
        self._fold()
        return GoroutineDump(
            groups=[g for g in self.groups.values() if g.count],
            total=self.total,
            declared_total=self.declared_total,
            malformed=self.malformed,
            ignored_lines=self.ignored,
            shapes=frozenset(self.shapes),
            has_wait_times=self.has_waits,
        )

    def _chunk(self, text: str, end: int | None = None) -> None:
        """The records of ``text[:end]``."""
        end = len(text) if end is None else end
        start = 0
        if not text.startswith("goroutine ", 0, end):
            # A preamble ("SIGQUIT: quit", "panic: ..."): record by record up to the first
            # goroutine, so the goroutines after it still take the fast path.
            start = text.find(_NEXT_GOROUTINE, 0, end)
            if start < 0:
                self._records(text[:end])
                return
            self._records(text[:start])
            start += 2
        self._pieces(text, start, end)

    def _after(self, head: str, text: str) -> bool:
        """``feed`` of ``text`` after ``head`` (the record the last text cut), as ``_chunk``
        of the two joined would read them, without joining them (a copy of the whole text):
        False, with nothing read, unless ``head`` starts a goroutine and is shorter than a
        piece, so that the first cut lies in ``text``."""
        end = text.rfind("\n\n")  # the last "\n\n" of the two: head holds none
        if end < 0 or len(head) >= FAST_CHARS:
            return False
        if not (head + text[: min(end, 10)]).startswith("goroutine "):
            return False  # a preamble first: _chunk reads it record by record
        self._pending = text[end + 2 :]
        cut = text.find(_NEXT_GOROUTINE, FAST_CHARS - len(head), end)
        if cut < 0:
            self._fast_or_records(head + text[:end])
        else:
            self._fast_or_records(head + text[:cut])
            self._pieces(text, cut + 2, end)
        return True

    def _pieces(self, text: str, start: int, end: int) -> None:
        """The goroutines of ``text[start:end]`` (starting with one), in pieces that fit in
        the CPU caches: the lists of the fast path stay hot."""
        while (cut := text.find(_NEXT_GOROUTINE, start + FAST_CHARS, end)) >= 0:
            self._fast_or_records(text[start:cut])
            start = cut + 2
        self._fast_or_records(text[start:end] if start or end < len(text) else text)

    def _fast_or_records(self, text: str) -> None:
        if self.normalise_first:
            text = _normalise(text)
        if not self._counted(text):
            self._records(text)

    def _records(self, text: str) -> None:
        """The slow path: every blank-line separated block of ``text`` on its own."""
        self._fold()  # goroutines counted so far come first (first and longest ids)
        text = _normalise(text)
        if text[:1] == "\n" or text[-1:] == "\n":
            text = text.strip("\n")
        record = self.record
        for block in text.split("\n\n"):
            if block:
                record(block)

    # -- the fast path ------------------------------------------------------------------
    def _counted(self, text: str) -> bool:
        """Count the goroutines of ``text`` (starting ``goroutine ``); False, with nothing
        counted, when it is not a plain run of goroutines."""
        # One C-level pass cuts the goroutines and their ids apart: [first goroutine, id,
        # key, id, key, ...]. A copy of each key without its id (lstrip) cost as much again.
        pieces = _GOROUTINE_ID_SEPARATOR.split(text)
        first = pieces[0][10:]
        keys = pieces[::2]
        keys[0] = _without_id(first)
        ids = pieces[1::2]
        ids.insert(0, first[: len(first) - len(keys[0])])
        # A header without an id ("goroutine  ["): the slow path counts it as malformed, and
        # a piece that holds one anywhere goes there whole. Looked for where it can be, not
        # in the whole text (a pass that cost as much as the counting): after a cut with no
        # id, or in a key not seen before (_kinds; a key that holds one is never learned).
        if "" in ids and _without_id_at_a_cut(keys, ids):
            return False
        kinds = self._kinds(keys)
        if kinds is None:
            return False
        known = len(self.pending)
        self.pending.update(kinds)
        if len(self.pending) > known:
            self._note_first_ids(ids, kinds, known)
        self.total += len(keys)
        if len(self.pending) >= MAX_CACHED_KEYS:
            self._fold()
        return True

    def _kinds(self, keys: list[str]) -> list[int] | None:
        """The kind of each key, the keys not seen before learned first; None if a key is
        not a plain goroutine."""
        # Hashes are not kept: each is a new int object, and a string caches its own hash.
        found = list(map(self.kinds.get, map(hash, keys)))
        if None not in found:
            self._sample(len(keys), 0)
            return cast(list[int], found)
        missing: Iterable[int] = list(compress(range(len(found)), map(is_, found, repeat(None))))
        unknown = list(dict.fromkeys(map(keys.__getitem__, missing)))
        if any(_NO_ID in key for key in unknown):
            return None  # before anything is learned: see _counted
        cached = max(len(self.meanings), len(self.frame_index), len(self.header_index))
        if cached + len(unknown) > MAX_CACHED_KEYS:
            # Before learning (indices learned below must stay). The kinds found above go
            # with the rest, so every key of the piece is learned again.
            self._forget_kinds()
            missing = range(len(keys))
            unknown = list(dict.fromkeys(keys))
        unseen = self._learn_keys(unknown)
        if unseen is None:
            return None
        self._sample(len(keys), unseen)
        # Only the goroutines whose keys were just learned: a second lookup of every key cost
        # as much as the first in nearly every piece (wait minutes bring new keys all along).
        kinds = self.kinds
        for at in missing:
            found[at] = kinds[hash(keys[at])]
        return cast(list[int], found)

    def _sample(self, goroutines: int, unseen_frames: int) -> None:
        self.sampled += goroutines
        self.unseen_frames += unseen_frames
        if self.sampled >= MIN_SAMPLE and self.unseen_frames * FRESH_SHARE > self.sampled:
            self.normalise_first = True  # values differ between goroutines: cut them first

    def _learn_keys(self, keys: list[str]) -> int | None:
        """Give each key its kind, with C-level maps (keys are many when stacks come with
        many wait times): how many frames were new, None if a key is not a plain goroutine."""
        lines = list(map(_split_first_line, keys))
        frames = list(map(_third, lines))
        unseen = self._learn_all(frames, self.frame_index, self._learn_frames)
        headers = list(map(_first, lines))
        if (
            unseen is None
            or self._learn_all(headers, self.header_index, self._learn_header) is None
        ):
            return None
        pairs = list(
            zip(
                map(self.frame_index.__getitem__, frames),
                map(self.header_index.__getitem__, headers),
                strict=True,
            )
        )
        found = list(map(self.kind_of.get, pairs))
        for pair in _unknown(pairs, found) if None in found else ():
            self.kind_of[pair] = len(self.meanings)
            learned = self.frame_meanings[pair[0]]
            header = self.header_meanings[pair[1]]
            self.meanings.append((learned.group, *header, learned.malformed))
        kinds = map(self.kind_of.__getitem__, pairs)
        if len(self.kinds) >= MAX_KINDS:
            self.kinds.clear()
        self.kinds.update(zip(map(hash, keys), kinds, strict=True))
        return unseen

    @staticmethod
    def _learn_all(
        texts: list[str], index: dict[str, int], learn: Callable[[str], bool]
    ) -> int | None:
        """Add the texts not yet in ``index`` with ``learn``: how many there were, or None
        if one is not valid."""
        found = list(map(index.get, texts))
        if None not in found:
            return 0
        unseen = _unknown(texts, found)
        if not all(map(learn, unseen)):
            return None
        return len(unseen)

    def _learn_frames(self, frames: str) -> bool:
        """Index frames as they read in the dump; False if they hold more than one goroutine
        (a blank line: noise or two goroutines; a header line: no blank line between)."""
        if "\n\n" in frames or "\ngoroutine " in frames:
            return False
        learned = self._learned(_normalise(frames))
        # One index per meaning, so frames that differ only in values make one kind.
        at = self.learned_at.setdefault(id(learned), len(self.frame_meanings))
        if at == len(self.frame_meanings):
            self.frame_meanings.append(learned)  # also keeps id(learned) unique
        self.frame_index[frames] = at
        return True

    def _learn_header(self, line: str) -> bool:
        """Index a header line without its id (`` [state, N minutes]:``); False if bad."""
        if not (line.startswith(" [") and line.endswith("]:")):
            return False
        header = self._header(line[2:-2])
        if header is None:
            return False
        self.header_index[line] = len(self.header_meanings)
        self.header_meanings.append(header)
        return True

    def _forget_kinds(self) -> None:
        """Bound memory on odd inputs (many distinct stacks or waits): fold, then drop every
        index of the fast path."""
        self._fold()
        for cache in (self.kinds, self.kind_of, self.frame_index, self.header_index):
            cache.clear()
        self.learned_at.clear()
        self.meanings.clear()
        self.frame_meanings.clear()
        self.header_meanings.clear()

    def _note_first_ids(self, goroutine_ids: list[str], kinds: list[int], known: int) -> None:
        """Remember the id of the first goroutine of each kind not seen since the last fold,
        in the order the kinds first appear (so that folding keeps the order of the dump).

        ``pending`` holds the same kinds as ``pending_ids``, and a ``Counter`` adds new keys in
        the order it meets them: the kinds after its first ``known`` ones are the new kinds,
        in order of first appearance, with no pass over ``kinds`` to find them. They are read
        from the end (``reversed``): ``islice`` from ``known`` stepped over the kinds already
        there, up to 64k of them in every piece that brought one new kind."""
        ids = self.pending_ids
        new = list(islice(reversed(self.pending), len(self.pending) - known))
        # New kinds come in order of first appearance, so each one's first place is after the
        # last one's: list.index from there reads ``kinds`` once in all (C-level), where a
        # dict of first places cost a dict write per goroutine in nearly every piece.
        at = 0
        for kind in reversed(new):
            at = kinds.index(kind, at)
            ids[kind] = int(goroutine_ids[at])

    def _fold(self) -> None:
        """Add the goroutines counted by :meth:`_counted` to their groups."""
        meanings = self.meanings
        counts = self.pending
        for kind, goroutine_id in self.pending_ids.items():
            count = counts[kind]
            group, state, minutes, locked, malformed = meanings[kind]
            if malformed:
                self.malformed += malformed * count
            group.count += count
            states = group.states
            states[state] = states.get(state, 0) + count
            if minutes is not None:
                self.has_waits = True
                waits = group.waits
                waits[state, minutes] = waits.get((state, minutes), 0) + count
                if group.longest_wait is None or minutes > group.longest_wait:
                    group.longest_wait = minutes
                    group.longest_state = state
                    group.longest_id = goroutine_id
            if group.first_id is None:
                group.first_id = goroutine_id
            if locked:
                group.locked_to_thread += count
        counts.clear()
        self.pending_ids.clear()

    # -- one record ---------------------------------------------------------------------
    def record(self, block: str) -> None:
        """One goroutine (``goroutine N [...]:`` and its frames), a profile block, or noise."""
        if block[0] == "\n":
            block = block.lstrip("\n")
            if not block:
                return
        if not (block.startswith("goroutine ") and block[10:11] in _DIGITS):
            if block.startswith("goroutine ") and not block.startswith("goroutine profile:"):
                self.malformed += block.count("\n") + 1  # a header without a goroutine id
            else:
                self._other(block)
            return
        head, _, body = block.partition("\n")
        if "\ngoroutine " in body:  # two goroutines with no blank line between them
            at = body.find("\ngoroutine ")
            self.record(body[at + 1 :])
            body = body[:at]
        open_at = head.find("[")
        close_at = head.rfind("]")
        gid = _goroutine_id(head[:open_at])
        header = self._header(head[open_at + 1 : close_at]) if 0 < open_at < close_at else None
        if gid is None or header is None:
            self.malformed += 1 + (body.count("\n") + 1 if body else 0)
            return
        self._add(self._learned(body), header, 1, lambda: gid)

    def _header(self, inner: str) -> _Header | None:
        """State, wait minutes and thread lock of ``chan send, 5 minutes, locked to thread``."""
        known = self.headers.get(inner, _UNSEEN)
        if known is not _UNSEEN:
            return known
        header = _parse_header(inner)
        if len(self.headers) >= MAX_CACHED_KEYS:
            self.headers.clear()
        self.headers[inner] = header
        return header

    def _learned(self, body: str) -> _Learned:
        learned = self.bodies.get(body)
        if learned is None:
            self.shapes.add("traceback")
            frames, created_by, elided, malformed = _parse_frames(body.split("\n"))
            learned = _Learned(self._group(frames, created_by, elided), malformed)
            if len(self.bodies) >= MAX_CACHED_KEYS:
                self.bodies.clear()
            self.bodies[body] = learned
        return learned

    def _add(
        self, learned: _Learned, header: _Header, count: int, goroutine_id: Callable[[], int | None]
    ) -> None:
        group = learned.group
        state, minutes, locked = header
        self.malformed += learned.malformed * count
        self.total += count
        group.count += count
        states = group.states
        states[state] = states.get(state, 0) + count
        if group.first_id is None:
            group.first_id = goroutine_id()
        if minutes is not None:
            self.has_waits = True
            waits = group.waits
            waits[state, minutes] = waits.get((state, minutes), 0) + count
            if group.longest_wait is None or minutes > group.longest_wait:
                group.longest_wait = minutes
                group.longest_id = goroutine_id()
                group.longest_state = state
        if locked:
            group.locked_to_thread += count

    def _group(self, frames: list[Frame], created_by: Frame | None, elided: bool) -> GoroutineGroup:
        signature = tuple(f.function for f in frames)
        if elided:
            signature += (ELIDED,)
        if created_by:
            signature += ("created by " + created_by.function,)
        group = self.groups.get(signature)
        if group is None:
            group = GoroutineGroup(signature, tuple(frames), created_by, elided)
            self.groups[signature] = group
        return group

    def _other(self, block: str) -> None:
        first_line = block.partition("\n")[0]
        if first_line.startswith("goroutine profile:") or _PROFILE_COUNT.match(first_line):
            self._profile(block)
            return
        at = block.find("\ngoroutine ")
        if at >= 0:
            self.ignored += block.count("\n", 0, at) + 1
            self.record(block[at + 1 :])
            return
        if not self._headerless(block):
            self.ignored += block.count("\n") + 1

    def _headerless(self, block: str) -> bool:
        """A stack quoted without its header, perhaps under an ``N occurences`` count line:
        lines before the first frame that has its file line are noise. Two frames with their
        file lines make it a stack (one could be any call a log quotes)."""
        lines = block.split("\n")
        count = 1
        start = None
        for at, (line, after) in enumerate(pairwise([*lines, ""])):
            counted = _EXCERPT_COUNT.match(line)
            if counted:
                count = int(counted.group(1))
            elif function_name(line) and _FILE_LINE.match(after):
                start = at
                break
        if start is None:
            return False
        frames, created_by, elided, malformed = _parse_frames(lines[start:])
        if sum(1 for f in frames if f.file) < 2:
            return False
        self.shapes.add("headerless")
        self.ignored += start
        self.malformed += malformed
        self._add_profile_stack(count, frames, created_by, elided)
        return True

    def _profile(self, block: str) -> None:
        """A debug=1 block: ``K @ pcs`` then ``#\\t0x..\\tfunc+0x..\\tfile:line`` lines (or
        counted frame lines, read into that shape without a pc or place)."""
        self.shapes.add("counted" if "\n#\t\t" in block else "profile")
        count = 0
        frames: list[Frame] = []
        for line in block.split("\n"):
            if line.startswith("goroutine profile: total "):
                try:
                    self.declared_total = int(line[25:])
                except ValueError:
                    self.malformed += 1
            elif line.startswith("#\t") or _PROFILE_FRAME_SPACED.match(line):
                frame = _profile_frame(line)
                if frame is None:
                    self.malformed += 1
                elif count:
                    frames.append(frame)
            elif line.startswith("# labels:") or not line.strip():
                continue
            elif _PROFILE_COUNT.match(line):
                if count:
                    self._add_profile_stack(count, frames)
                count, frames = int(line[: line.find(" ")]), []
            else:
                self.malformed += 1
        if count:
            self._add_profile_stack(count, frames)

    def _add_profile_stack(
        self, count: int, frames: list[Frame], created_by: Frame | None = None, elided: bool = False
    ) -> None:
        """``count`` goroutines of a stack without a header: the state guessed from its frames."""
        group = self._group(frames, created_by, elided)
        group.state_inferred = True
        state = infer_state(frames)
        group.count += count
        group.states[state] = group.states.get(state, 0) + count
        self.total += count


_T = TypeVar("_T")
_Header = tuple[str, int | None, bool]
# group, state, wait minutes, locked to thread, malformed lines
_KeyMeaning = tuple[GoroutineGroup, str, int | None, bool, int]
_UNSEEN: _Header = ("", None, False)


# Between two goroutines of a clean dump.
_NEXT_GOROUTINE = "\n\ngoroutine "
# A goroutine's header without its id.
_NO_ID = "goroutine  ["
# The same, with the next goroutine's id captured; the id may be empty, as with str.split (a
# header without an id is caught after the cut, see _Aggregator._counted).
_GOROUTINE_ID_SEPARATOR = re.compile(r"\n\ngoroutine ([0-9]*)")
# " [state]:\nframes" of "<id> [state]:\nframes".
_without_id = methodcaller("lstrip", "0123456789")
_split_first_line = methodcaller("partition", "\n")
_first = itemgetter(0)
_third = itemgetter(2)


def _unknown(items: Iterable[_T], found: Iterable[object]) -> list[_T]:
    """The items whose lookup found None, once each, in order (what is learned first decides
    the file and line a group shows, as on the slow path)."""
    return list(dict.fromkeys(compress(items, map(is_, found, repeat(None)))))


def _without_id_at_a_cut(keys: list[str], ids: list[str]) -> bool:
    """Whether a goroutine cut with an empty id reads ``goroutine  [`` (a header without its
    id), not ``goroutine profile:`` or other text after ``goroutine ``."""
    return any(key.startswith(" [") for key, gid in zip(keys, ids, strict=True) if not gid)


def _normalise(text: str) -> str:
    """Drop what differs between goroutines that share a stack: argument values, frame
    pointers and the creator's goroutine id."""
    # These shapes hold for a whole dump: look at its start only (find with an end, not a
    # slice: a copy of the head per piece cost as much as a regex pass on short pieces).
    # What is cut is joined from the pieces between (``"".join(split)``, the same text as
    # ``sub("")``): ``sub`` also listed the empty replacement once per match.
    if text.find(" fp=", 0, HEAD_CHARS) >= 0:
        text = "".join(_FRAME_POINTERS.split(text))
    if text.find(" in goroutine ", 0, HEAD_CHARS) >= 0:
        text = "".join(_CREATED_IN.split(text))
    if text.find("\n\n\n", 0, HEAD_CHARS) >= 0:
        text = _BLANK_LINES.sub("\n\n", text)
    return "".join(_ARGUMENTS.split(text))


def _goroutine_id(head: str) -> int | None:
    """The id in ``goroutine 123`` (also with Go 1.23's ``gp=.. m=..`` after it)."""
    try:
        return int(head[10:].split(" ", 1)[0])
    except ValueError:
        return None


def _parse_header(inner: str) -> _Header | None:
    minutes: int | None = None
    locked = False
    state, *extras = inner.split(", ")
    for extra in extras:
        if extra.endswith(" minutes"):
            try:
                minutes = int(extra[:-8])
            except ValueError:
                return None
        elif extra == "locked to thread":
            locked = True
    return (state, minutes, locked) if state else None


def _profile_frame(line: str) -> Frame | None:
    """``#<tab>0x..<tab>func+0x..<tab>file:line`` (tabs or spaces); ``#<tab><tab>func<tab>``
    is a counted frame line's, which has no place."""
    spaced = _PROFILE_FRAME_SPACED.match(line)
    parts = ["#", *spaced.groups()] if spaced else line.split("\t")
    if len(parts) < 4:
        return None
    function = parts[2]
    plus = function.rfind("+0x")
    if plus > 0:
        function = function[:plus]
    where = parts[-1].strip()
    if not where and not parts[1] and function:
        return Frame(function)
    file, _, number = where.rpartition(":")
    if not function or not number.isdigit():
        return None
    return Frame(function, file, int(number))


def _counted_frame(line: str) -> str | None:
    """A counted frame line (``uniq -c`` over a dump's frame lines) as a one-frame debug=1
    stack, ``K @`` and ``#<tab><tab>func<tab>``; None if it is not one."""
    counted = _COUNTED_FRAME.match(line)
    if counted is None:
        return None
    creator, frame = counted.group(2, 3)
    name = function_name(creator or (frame + ")" if frame.endswith("(") else frame))
    return f"{counted.group(1)} @\n#\t\t{name}\t" if name else None


def _parse_frames(lines: list[str]) -> tuple[list[Frame], Frame | None, bool, int]:
    """Frames, created-by frame, elided flag and malformed line count of one stack."""
    frames: list[Frame] = []
    created_by: Frame | None = None
    elided = False
    malformed = 0
    last: Frame | None = None  # the frame a file line belongs to
    for raw in lines:
        if not raw.strip() or "goroutine running on other thread" in raw:
            continue
        if raw[0] == "\t" or raw[0] == " ":
            match = _FILE_LINE.match(raw)
            if match is None:
                # A dump pasted with every line indented (a quote, a forum's code block):
                # an indented line that names a function is a frame, not a file line.
                name = function_name(raw.strip())
                if name is None:
                    malformed += 1
                    continue
                last = Frame(name)
                frames.append(last)
                continue
            if last is None:
                malformed += 1
                continue
            located = Frame(last.function, match.group(1), int(match.group(2)))
            if created_by is last:
                created_by = located
            else:
                frames[-1] = located
            last = None
        elif raw.startswith("created by "):
            created_by = last = Frame(_CREATED_IN.sub("", raw[11:].strip()))
        elif raw.startswith(ELIDED):
            elided = True
        else:
            name = function_name(raw)
            if name is None:
                malformed += 1
                last = None
                continue
            last = Frame(name)
            frames.append(last)
    return frames, created_by, elided, malformed


def function_name(line: str) -> str | None:
    """The function of a frame line, without its arguments; None if it is not one.

    >>> function_name("sync.(*Mutex).Lock(...)")
    'sync.(*Mutex).Lock'
    >>> function_name("main.F[...]({0x4c1a2e, 0x5}, 0x0?)")
    'main.F[...]'
    >>> function_name("panic({0x6a8f20, 0xc000012345})")
    'panic'
    >>> function_name("exit status 2") is None
    True
    """
    line = line.strip()
    name = line
    if line.endswith(")"):
        depth = 0
        for at in range(len(line) - 1, -1, -1):
            char = line[at]
            if char == ")":
                depth += 1
            elif char == "(":
                depth -= 1
                if depth == 0:
                    name = line[:at]
                    break
        else:
            return None
    if not name or ("." not in name and name != "panic"):
        return None
    squeezed = name.replace("interface {", "interface{").replace("struct {", "struct{")
    return name if _FUNCTION_NAME.match(squeezed) else None


def infer_state(frames: Sequence[Frame]) -> str:
    """A state for a stack without a header (debug=1 profiles), from its innermost frames.

    >>> infer_state([Frame("sync.runtime_SemacquireMutex"), Frame("sync.(*Mutex).Lock")])
    'semacquire'
    >>> infer_state([Frame("main.worker")])
    'unknown'
    """
    for frame in frames[:4]:
        name = frame.function
        # Go 1.24 moved the mutex's semaphore calls into internal/sync.
        if name.startswith(("sync.runtime_Semacquire", "internal/sync.runtime_Semacquire")) or (
            name == "runtime.semacquire1"
        ):
            return "semacquire"
        if name == "sync.runtime_notifyListWait":
            return "sync.Cond.Wait"
        if name.endswith("runtime_pollWait"):
            return "IO wait"
        if name.startswith(("syscall.Syscall", "syscall.RawSyscall")) or (
            name.endswith(("unix.Syscall", "unix.Syscall6", "unix.RawSyscall"))
        ):
            return "syscall"
        if name == "time.Sleep":
            return "sleep"
        if name in ("runtime.chansend", "runtime.chansend1"):
            return "chan send"
        if name in ("runtime.chanrecv", "runtime.chanrecv1", "runtime.chanrecv2"):
            return "chan receive"
        if name == "runtime.selectgo":
            return "select"
    return UNKNOWN_STATE


# -- lines of a log -------------------------------------------------------------------------


def _is_header(line: str) -> bool:
    return line.startswith("goroutine ") and line[10:11] in _DIGITS and "[" in line


def _strip_prefixes(line: str) -> tuple[str, str | None]:
    """The line without its log prefixes, and the bare program prefix if there was one."""
    match = _PREFIXES.match(line)
    if match is None:
        return line, None
    return line[match.end() :], match.group("program")


def _stack_line(line: str) -> str | None:
    """``line`` as it reads in a clean dump if it belongs to a stack (header, frame, file line,
    created by, profile line, blank), else None (log noise)."""
    if not line:
        return ""
    if line.startswith(("goroutine ", "created by ", ELIDED, "#\t", "# labels:")):
        return line
    if line.startswith("#") and (spaced := _PROFILE_FRAME_SPACED.match(line)):
        return "#\t" + "\t".join(spaced.groups())
    if line.startswith("#") and (gdb := _GDB_FRAME.match(line)):
        return f"{gdb.group(1)}()\n\t{gdb.group(2)}:{gdb.group(3)}"
    if line[0] in _DIGITS and _EXCERPT_COUNT.match(line):
        return line
    if line[0] in " \t0123456789" and (counted := _counted_frame(line)):
        return counted
    if _FILE_LINE.match(line):
        return "\t" + line.strip()
    if line[0] in " \t":
        return line if not line.strip() else None
    if _FRAME_LIKE.match(line) or _PROFILE_COUNT.match(line) or function_name(line):
        return line
    return None


def clean_log_lines(lines: Iterable[str], noise: list[int] | None = None) -> Iterator[str]:
    """Lines of a log with a dump inside, as lines of a clean dump (each ending in a newline).

    Noise becomes a blank line so that it separates records; ``noise[0]`` counts those lines.

    >>> list(clean_log_lines(["Jun 14 13:14:38 node kubelet[9]: goroutine 5 [running]:",
    ...     "kubelet: sync.runtime_SemacquireMutex()kubelet: sync.(*Mutex).Lock()",
    ...     "kubelet: #011/usr/local/go/src/sync/mutex.go:138 +0x10c"]))
    ['goroutine 5 [running]:\\n', 'sync.runtime_SemacquireMutex()\\n', 'sync.(*Mutex).Lock()\\n', \
'\\t/usr/local/go/src/sync/mutex.go:138 +0x10c\\n']
    """
    for raw in lines:
        line = raw.rstrip("\r\n")
        if "#011" in line:
            line = line.replace("#011", "\t")
        line, program = _strip_prefixes(line)
        pieces = line.split(program) if program and program in line else [line]
        for piece in pieces:
            cleaned = _stack_line(piece.rstrip())
            if cleaned is None:
                if noise is not None:
                    noise[0] += 1
                yield "\n"
            else:
                yield cleaned + "\n"


# -- entry points ---------------------------------------------------------------------------


def needs_cleaning(head: Sequence[str]) -> bool:
    """True unless the first goroutine header (or profile line) in ``head`` starts its line."""
    for line in head:
        if _is_header(line) or line.startswith(("goroutine profile:", "panic: ", "fatal error: ")):
            return False
        if "goroutine " in line and _is_header(_strip_prefixes(line.rstrip("\r\n"))[0]):
            return True
    return True


def _batches(lines: Iterator[str]) -> Iterator[str]:
    """Join lines into big strings (C-level), adding the newlines split lines lack."""
    while True:
        batch = list(islice(lines, BATCH_LINES))
        if not batch:
            return
        if batch[0].endswith("\n"):
            text = "".join(batch)
            yield text if text.endswith("\n") else text + "\n"
        else:
            yield "\n".join(batch) + "\n"


def parse_goroutine_chunks(chunks: Iterable[str]) -> GoroutineDump:
    """Parse a dump given as arbitrary pieces of text (e.g. ``file.read(1 << 22)`` results)."""
    pieces = iter(chunks)
    first = next(pieces, "")
    aggregator = _Aggregator()
    if needs_cleaning(first[:HEAD_CHARS].splitlines()[:SNIFF_LINES]):
        noise = [0]
        for text in _batches(clean_log_lines(_split_lines(chain([first], pieces)), noise)):
            aggregator.feed(text)
        aggregator.ignored += noise[0]
    else:
        aggregator.feed(first)
        for text in pieces:
            aggregator.feed(text)
    return aggregator.finish()


def parse_goroutine_lines(lines: Iterable[str]) -> GoroutineDump:
    """Parse a dump given as lines (with or without their newlines), streaming."""
    return parse_goroutine_chunks(_batches(iter(lines)))


def parse_goroutine_stream(stream: io.TextIOBase | Iterable[str]) -> GoroutineDump:
    """Parse an open text file in big chunks (faster than line by line)."""
    if isinstance(stream, io.TextIOBase):
        text_stream = stream
        return parse_goroutine_chunks(iter(lambda: text_stream.read(CHUNK_CHARS), ""))
    return parse_goroutine_lines(stream)


def _split_lines(chunks: Iterable[str]) -> Iterator[str]:
    rest = ""
    for chunk in chunks:
        lines = (rest + chunk).split("\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def sniff_goroutines(head: Sequence[str]) -> float:
    """How sure we are that ``head`` starts a goroutine dump (or a log holding one).

    >>> sniff_goroutines(["goroutine 1 [running]:", "main.main()"])
    0.95
    >>> sniff_goroutines(["Jun 14 13:14:38 h kubelet[1]: goroutine 9 [semacquire, 5 minutes]:"])
    0.6
    >>> sniff_goroutines(["hello"])
    0.0
    """
    counted = lines = framed = 0
    for line, after in pairwise([*head, ""]):
        if _is_header(line) or line.startswith("goroutine profile: total "):
            return 0.95
        if "goroutine " in line and _is_header(_strip_prefixes(line.rstrip("\r\n"))[0]):
            return 0.6
        # An excerpt of a debug=1 profile: a count line, then its first frame.
        if _PROFILE_COUNT.match(line.rstrip()) and (
            after.startswith("#\t") or _PROFILE_FRAME_SPACED.match(after.rstrip())
        ):
            return 0.9
        if line.strip():
            lines += 1
            counted += _counted_frame(line.rstrip()) is not None
        # A frame with its file line under it, or a frame of gdb's backtrace: a stack quoted
        # without its header.
        if ".go:" in after and after[:1] in " \t" and _FILE_LINE.match(after.rstrip()):
            framed += function_name(line) is not None
        elif line.startswith("#") and _GDB_FRAME.match(line.rstrip()):
            framed += 1
    # Counted frame lines, most of the text (a command line may come first).
    if counted >= 3 and counted * 2 > lines:
        return 0.6
    # Frames of Go code: little else reads like them, but a log that quotes one stack is still
    # a log, so any format more sure of the head wins.
    return 0.5 if framed >= 2 else 0.0


class GoroutinesFormat:
    """The :class:`~kubewhy.parsers.base.DocumentFormat` of goroutine dumps."""

    name = "goroutines"
    # What each score of sniff_goroutines needs: a goroutine's header or a profile's total,
    # a debug=1 count line, counted frame lines (a count, then a created-by line or a call),
    # or a Go frame's file line.
    hints = ("goroutine ", " @", ".go:", re.compile(r"^[ \t]*\d+ +(?:created by \S|\S.*\()"))

    def sniff(self, head: Sequence[str]) -> float:
        return sniff_goroutines(head)

    def parse(self, text: str, ctx: Context) -> ParseResult:
        dump = parse_goroutine_lines(io.StringIO(text))
        # The program is named from its stacks when the file's name does not say, as the
        # dump's analysis is (facts.build): the count and the analysis are about one component.
        frames = (f.function for g in dump.ranked()[:20] for f in g.frames)
        entity = Entity.component(ctx.component or of_stack_frames(frames), ctx.node)
        summary = f"goroutine dump: {dump.total} goroutines in {len(dump.groups)} stack groups"
        evidence = Evidence(ctx.source, None, None, summary)
        return ParseResult(
            facts=[Fact("component.goroutines", entity, dump.total, evidence)],
            entities=[entity],
            goroutine_dumps=[dump],
            malformed=dump.malformed,
        )


GOROUTINES = GoroutinesFormat()
FORMATS = [GOROUTINES]
