"""Pasted terminal sessions: one file holding several commands and their outputs.

A shell prompt with its user and host (``root@node:~# cmd``, ``[root@node ~]# cmd``) or a bare
``$ cmd`` starts a section; a file with several is split so that each command's output is
detected and parsed on its own, and the prompt's host says which node the output is from.
"""

from __future__ import annotations

import re

PROMPT_HOST = re.compile(r"^\[?[\w.-]+@([\w.-]+)")
PROMPT = re.compile(
    r"^(?:\[[\w.-]+@[\w.-]+[^\]]*\]|[\w.-]+@[\w.-]+(?::\S*)?(?: \S+)?)\s*[#$] \S|^\$ \S"
)


def starts_session(first_line: str) -> bool:
    return PROMPT.match(first_line) is not None


def prompt_host(line: str) -> str | None:
    found = PROMPT_HOST.search(line)
    return found.group(1) if found else None


def transcript_sections(text: str) -> list[tuple[int, str]] | None:
    """Split a pasted terminal session into (first line number, text) per command.

    Each section keeps its place in the file: earlier lines become blank lines, so the line
    numbers that parsers cite are the file's own.

    >>> s = transcript_sections("root@n1:~# uname -r\\n4.4.0-104-generic\\nroot@n1:~# nproc\\n8\\n")
    >>> [(start, body.strip()) for start, body in s]
    [(1, 'root@n1:~# uname -r\\n4.4.0-104-generic'), (3, 'root@n1:~# nproc\\n8')]
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if PROMPT.match(line)]
    if len(starts) < 2:
        return None
    if starts[0] != 0 and any(line.strip() for line in lines[: starts[0]]):
        starts.insert(0, 0)
    sections = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = "\n" * start + "\n".join(lines[start:end]) + "\n"
        sections.append((start + 1, body))
    return sections
