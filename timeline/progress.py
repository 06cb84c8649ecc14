"""How far long work has got: import, publish, rebuild, copy, verify and export report it here.

The API takes a `progress` (default SILENT, which reports nothing); the CLI
passes `bar()`: a rich progress bar with the rate and the time left on a
terminal (stderr), nothing when stderr is not a terminal or with --quiet.

    with progress.task("importing", total=size, unit="bytes") as task:
        task.advance(len(line))

Reporting costs a method call; callers report every few thousand rows, not
every row.
"""
import sys
import time
from contextlib import contextmanager


class _Task:
    def advance(self, n=1):
        pass

    def update(self, completed=None, total=None):
        pass


class Progress:
    """Reports nothing: what library callers get unless they pass a bar."""

    @contextmanager
    def task(self, description, total=None, unit="rows"):
        yield _Task()


SILENT = Progress()


def bar(quiet=False, stream=None):
    """A rich progress bar on `stream` (stderr) when it is a terminal, else SILENT."""
    stream = stream or sys.stderr
    if quiet or not getattr(stream, "isatty", lambda: False)():
        return SILENT
    return RichProgress(stream)


class RichProgress(Progress):
    """One bar per task: what it is doing, how far, how fast, and how long it has left."""

    def __init__(self, stream):
        self.stream = stream

    @contextmanager
    def task(self, description, total=None, unit="rows"):
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress as Bars, SpinnerColumn,
                                   TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
                                   TransferSpeedColumn)

        if unit == "bytes":
            amount, rate = DownloadColumn(), TransferSpeedColumn()
        else:
            amount, rate = MofNCompleteColumn(), _Rate(unit)
        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), amount, rate,
                   TextColumn("eta"), TimeRemainingColumn(), TextColumn("elapsed"), TimeElapsedColumn()]
        with Bars(*columns, console=Console(file=self.stream), transient=True, refresh_per_second=4) as bars:
            handle = _RichTask(bars, bars.add_task(description, total=total))
            yield handle
            handle.flush()


class _RichTask(_Task):
    """Advances are summed here and handed to rich at most ten times a second (rich takes a lock)."""

    def __init__(self, bars, task_id):
        self.bars, self.task_id = bars, task_id
        self.pending, self.last = 0, 0.0

    def advance(self, n=1):
        self.pending += n
        now = time.monotonic()
        if now - self.last > 0.1:
            self.flush(now)

    def update(self, completed=None, total=None):
        self.flush()
        self.bars.update(self.task_id, completed=completed, total=total)

    def flush(self, now=None):
        if self.pending:
            self.bars.advance(self.task_id, self.pending)
            self.pending = 0
        self.last = now or time.monotonic()


def _Rate(unit):
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task):
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f} {unit}/s")

    return Rate()
