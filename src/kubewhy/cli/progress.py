"""A progress bar on stderr for long scans: shown only on a terminal, and only once the work has
taken more than a second (a quick diagnosis prints nothing extra)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

# rich is imported when a bar is first shown: most runs never show one (about 20 ms).
if TYPE_CHECKING:
    from rich.progress import Progress

SHOW_AFTER_SECONDS = 1.0


class ScanProgress:
    def __init__(
        self, enabled: bool | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.clock = clock
        self.total = 0
        self.done = 0
        self.started = clock()
        self._bar: Progress | None = None
        self._task = 0

    def start(self, total: int) -> None:
        self.total = total
        self.started = self.clock()

    def advance(self, done: int) -> None:
        self.done += done
        if not self.enabled:
            return
        if self._bar is None:
            if self.clock() - self.started < SHOW_AFTER_SECONDS:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._bar = Progress(
                "scanning",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("scan", total=self.total or None)
        self._bar.update(self._task, completed=self.done)  # type: ignore[arg-type]

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
