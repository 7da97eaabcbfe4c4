"""The command-line splitter: shlex's words, in linear time.

shlex grew each word one character at a time (``token = token + char``): a prompt line of one
36,000-character word, a few dozen times in a pasted session, took the sysctl reader 20 s.
"""

from __future__ import annotations

import shlex
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from kubewhy.parsers.shell import parse_command, split_words


def shlex_words(text: str) -> list[str] | None:
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars="|;&<>")
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return None


# Every character shlex treats apart (blanks, operators, quotes, escapes, comments), and others.
ALPHABET = " \t\r\n|;&<>#'\"\\ab$=-~./*?xé\x0b\x0c"


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.text(alphabet=ALPHABET, max_size=24))
def test_the_same_words_as_shlex(text: str) -> None:
    assert split_words(text) == shlex_words(text), repr(text)


def test_real_command_lines() -> None:
    for line in [
        "sudo ps -eo stat,ppid,comm | grep ^Z | sort | uniq -c",
        "kubectl describe pod web-1 -n prod | grep -A5 'Last State'",
        'journalctl -u kubelet --since "1 hour ago" 2>&1 | tail -n 50',
        r"echo \"quoted\" > /proc/sys/kernel/pid_max && cat /proc/sys/kernel/pid_max",
        "cat /etc/resolv.conf # the node's resolver",
    ]:
        assert split_words(line) == shlex_words(line), line


def test_a_long_word_is_split_in_linear_time() -> None:
    line = "sysctl " + "x" * 2_000_000 + " | grep 'a b'" + "'q'" * 100_000
    started = time.process_time()
    pipeline = parse_command(line)
    assert time.process_time() - started < 1.0  # with shlex: minutes
    assert pipeline is not None and pipeline.source.name == "sysctl"
    assert pipeline.grep_patterns == ["a b" + "q" * 100_000]
