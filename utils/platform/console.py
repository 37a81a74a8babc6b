"""What a person sees while a run works: one line per layer and table, then a summary."""

import sys
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


@contextmanager
def step(layer: str, table: str):
    """Prints the step's name at once (the progress indication), then its result on the same line."""
    line = StepLine()
    interactive = sys.stdout.isatty()
    label = f"  {layer:<7} {table:<22}"
    if interactive:
        print(f"{label} ...", end="\r", flush=True)
    started = time.perf_counter()
    yield line
    line.seconds = time.perf_counter() - started
    note = f"  {line.note}" if line.note else ""
    say(f"{label} {line.months:>3} months {line.rows:>11,} rows {line.seconds:>6.1f} s{note}")
