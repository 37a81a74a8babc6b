"""What a person sees while a run works: one line per layer and table, then a summary."""

import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class StepLine:
    months: int = 0
    rows: int = 0
    note: str = ""
    seconds: float = 0.0


def say(text: str = "") -> None:
    print(text, flush=True)


CLEAR_LINE = "\r\x1b[K"  # back to the start of a terminal's line, and blank it
_running: list[str] = []  # the steps under way, shown on a terminal's progress line
_lock = threading.Lock()  # the tables of a layer are built side by side, on two threads


def _show_progress() -> None:
    print(CLEAR_LINE + (f"  {', '.join(_running)} ..." if _running else ""), end="", flush=True)


@contextmanager
def step(layer: str, table: str):
    """Shows the step as under way (on a terminal), then prints its result line when it ends."""
    line = StepLine()
    interactive = sys.stdout.isatty()
    name = f"{layer} {table}"
    with _lock:
        _running.append(name)
        if interactive:
            _show_progress()
    started = time.perf_counter()
    try:
        yield line
    except BaseException:
        _end_step(name, interactive)
        raise
    line.seconds = time.perf_counter() - started
    note = f"  {line.note}" if line.note else ""
    _end_step(
        name,
        interactive,
        f"{CLEAR_LINE if interactive else ''}  {layer:<7} {table:<22} "
        f"{line.months:>3} months {line.rows:>11,} rows {line.seconds:>6.1f} s{note}",
    )


def _end_step(name: str, interactive: bool, result: str | None = None) -> None:
    """Takes the step off the progress line, printing its result line first if it has one."""
    with _lock:
        _running.remove(name)
        if result is not None:
            say(result)
        if interactive:
            _show_progress()
