"""Progress reporting shared by the library (silent by default), the CLI (rich) and notebooks."""
from __future__ import annotations

import contextlib
import logging
import sys
from typing import Callable, Iterator

__all__ = ["Progress", "NullProgress", "RichProgress", "LogProgress", "TqdmProgress", "as_progress"]

logger = logging.getLogger("textcluster")


class Progress:
    """Interface: ``with progress.stage(name, total) as advance: advance(n)``."""

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        yield lambda n=1: None


class NullProgress(Progress):
    """Reports nothing."""


class LogProgress(Progress):
    """Logs the start and end of each stage at INFO level."""

    @contextlib.contextmanager
    def stage(self, name, total=None):
        logger.info("%s ...", name)
        yield lambda n=1: None
        logger.info("%s done", name)


class RichProgress(Progress):
    """A rich progress bar per stage on stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    @contextlib.contextmanager
    def stage(self, name, total=None):
        if not self.enabled:
            yield lambda n=1: None
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as _P, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn, TimeRemainingColumn)

        if total is None:  # no count to show: the stage's name and its elapsed time (no "0/?" bar)
            columns = [SpinnerColumn(finished_text="[green]✓"), TextColumn("[bold]{task.description}"),
                       TimeElapsedColumn()]
        else:
            columns = [SpinnerColumn(finished_text="[green]✓"), TextColumn("[bold]{task.description}"),
                       BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn()]
        with _P(*columns, console=Console(stderr=True), transient=False) as bar:
            task = bar.add_task(name, total=total)
            yield lambda n=1: bar.advance(task, n)
            if total is not None:
                bar.update(task, completed=total)
            else:  # finished: the spinner becomes a tick
                bar.update(task, total=1, completed=1)


class TqdmProgress(Progress):
    """A tqdm bar per stage, for notebooks: a widget bar when ipywidgets is installed, else a text bar.

    ``model.fit(docs, progress=TqdmProgress())`` shows the same stages as the CLI's bars.
    """

    def __init__(self, leave: bool = True):
        self.leave = leave

    @contextlib.contextmanager
    def stage(self, name, total=None):
        try:
            import ipywidgets  # noqa: F401  -- tqdm.notebook needs it, else it warns and falls back
            from tqdm.notebook import tqdm
        except ImportError:
            from tqdm import tqdm
        bar = tqdm(total=total, desc=name, leave=self.leave, file=None if "notebook" in tqdm.__module__
                   else sys.stderr)
        try:
            yield lambda n=1: bar.update(n)
            if total is not None:
                bar.update(max(total - bar.n, 0))
        finally:
            bar.close()


def as_progress(progress) -> Progress:
    """The progress sink for a ``progress`` argument: ``True`` = the CLI's rich bars (notebooks), None or
    False = nothing, a :class:`Progress` as it is."""
    if progress is True:
        return RichProgress(enabled=True)
    return progress or NullProgress()
