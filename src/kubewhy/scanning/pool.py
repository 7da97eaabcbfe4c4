"""One pool of worker processes for work that pays for them (scanning several big logs).

Workers are forked, so they inherit what the parent built (the compiled pattern database, the
node names) instead of building it again; only results travel back. A node that cannot fork or
start threads gets no pool: the caller does the work itself, because kubewhy must still answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

# multiprocessing and concurrent.futures are imported when a pool is first wanted: most runs
# (small inputs) never start one.
if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")


class Progress(Protocol):
    """Told how many bytes of evidence there are and how many have been scanned."""

    def start(self, total: int) -> None: ...

    def advance(self, done: int) -> None: ...

    def finish(self) -> None: ...


# The work of the current pool: set before the fork, so workers inherit it.
_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run(index: int) -> Any:
    assert _WORK is not None
    work, items = _WORK
    return work(items[index])


def map_forked(
    work: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    done: Callable[[int], None] | None = None,
) -> list[R] | None:
    """``work`` over ``items`` on up to ``workers`` forked processes, results in order;
    ``done(i)`` as each finishes in order. None when no worker could be started.

    However it ends (a fork refused half way by a pids limit, a worker killed, Ctrl-C), no
    worker outlives the call: they are killed and reaped before it returns or raises, so a
    report can never be printed by a process that then does not exit.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _WORK  # noqa: PLW0603 - handed to the forked workers
    _WORK = (work, items)
    pool: ProcessPoolExecutor | None = None
    finished = False
    try:
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(items))),
            mp_context=multiprocessing.get_context("fork"),
        )
        futures = [pool.submit(_run, index) for index in range(len(items))]
        results = []
        for index, future in enumerate(futures):
            results.append(_result(pool, future))
            if done is not None:
                done(index)
        pool.shutdown(wait=True)
        finished = True
        return results
    except (OSError, RuntimeError, BrokenProcessPool):
        return None  # no workers on this node (cannot fork, no threads)
    finally:
        _WORK = None
        if pool is not None and not finished:
            _abandon(pool)


def _result(pool: ProcessPoolExecutor, future: Future[Any]) -> Any:
    """The future's result; BrokenProcessPool if the pool's own thread died (it could not start
    a thread of its own on a node out of PIDs), since the result would then never come."""
    from concurrent.futures import TimeoutError as FuturesTimeout
    from concurrent.futures.process import BrokenProcessPool

    while True:
        try:
            return future.result(timeout=1.0)
        except FuturesTimeout:
            manager = getattr(pool, "_executor_manager_thread", None)
            if manager is not None and not manager.is_alive() and not future.done():
                raise BrokenProcessPool("the pool's manager thread ended") from None


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Stop a pool that did not finish: kill and reap its workers, leave its thread to end."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        if process.is_alive():
            process.kill()
    for process in workers:
        process.join(timeout=5)
