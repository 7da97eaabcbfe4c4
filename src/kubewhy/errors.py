"""The errors kubewhy raises to its callers.

::

    KubewhyError                 base of every error below
    ├── UsageError               a bad option or argument (exit code 2)
    ├── InputError               an input that cannot be read at all (exit code 2)
    │   └── NothingReadError     none of the requested evidence could be read (exit code 3)
    └── KnowledgeBaseError       a failure-mode file that does not load (kb.load)

Absent or partly unreadable evidence is not an error: it is recorded as a gap and the diagnosis
goes on with what it has.
"""

from __future__ import annotations


class KubewhyError(Exception):
    """Base class: the message is one line meant for a person."""


class UsageError(KubewhyError):
    pass


class InputError(KubewhyError):
    pass


class NothingReadError(InputError):
    """Every source the request named came back empty: refused, 401/403 on everything, an empty
    or unusable input, no ``/proc`` under ``--root``. Never reported as "no finding"."""
