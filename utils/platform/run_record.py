"""The run record: what a run did, as JSON under datamart/_runs/, for people and notebooks."""

import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from utils.platform import storage


def new_run_id(now: datetime) -> str:
    """UTC start time to the microsecond, then 6 random hex digits: records sort by name in
    the order their runs started (a warm run can take under a second)."""
    return f"{now.strftime('%Y%m%dT%H%M%S.%f')}Z-{secrets.token_hex(3)}"


def _plain(value):
    """Dates (also as dict keys) to ISO text, so the record is plain JSON."""
    if isinstance(value, dict):
        return {(k.isoformat() if isinstance(k, date) else k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class RunRecord:
    def __init__(self, command: str, parameters: dict):
        self.started = datetime.now(UTC)
        self.run_id = new_run_id(self.started)
        self.content = {
            "run_id": self.run_id,
            "command": command,
            "started_at": self.started,
            "status": "running",
            "pid": os.getpid(),
            "parameters": parameters,
            "data": {},
            "months": [],
            "layers": {},
            "seconds_by_layer": {},
        }

    def add_table(self, layer: str, table: str, seconds: float, details: dict) -> None:
        self.content["layers"].setdefault(layer, {})[table] = {"seconds": round(seconds, 3), **details}

    @contextmanager
    def timed_layer(self, layer: str) -> Iterator[None]:
        """Records the block's wall time as the layer's: less than the sum of its tables',
        which are built side by side."""
        started = time.perf_counter()
        yield
        self.content["seconds_by_layer"][layer] = round(time.perf_counter() - started, 3)

    def finish(self, status: str, error: str | None = None) -> None:
        finished = datetime.now(UTC)
        self.content.update(
            status=status,
            finished_at=finished,
            seconds=round((finished - self.started).total_seconds(), 3),
        )
        if error:
            self.content["error"] = error

    def path(self, datamart_dir: str) -> str:
        return storage.join(runs_folder(datamart_dir), f"{self.run_id}.json")

    def write(self, datamart_dir: str) -> str:
        path = self.path(datamart_dir)
        storage.write_text(path, json.dumps(_plain(self.content), indent=2, sort_keys=False) + "\n")
        return path


def runs_folder(datamart_dir: str) -> str:
    """Where the run records live: datamart/_runs/, one JSON file per run."""
    return storage.join(datamart_dir, "_runs")


def latest_run(datamart_dir: str) -> dict | None:
    """The record of the run that started last (also at a URI), or None before the first run."""
    names = [name for name in storage.list_names(runs_folder(datamart_dir)) if name.endswith(".json")]
    if not names:
        return None
    return json.loads(storage.read_text(storage.join(runs_folder(datamart_dir), sorted(names)[-1])))


def finished_at(record: dict | None) -> datetime | None:
    """When a recorded run ended (None for no record, or one that never finished)."""
    return datetime.fromisoformat(record["finished_at"]) if record and record.get("finished_at") else None
