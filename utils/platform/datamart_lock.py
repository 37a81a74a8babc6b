"""One run at a time per datamart: a lock file naming its holder.

The lock is `<datamart>/_lock`, created only if absent, holding the process id, host,
run id and start time. A second run refuses with that information. A lock left by a
process that died (same host, process gone) is taken over, and the run says so.
"""

import json
import os
import socket
from contextlib import contextmanager
from datetime import UTC, datetime

from utils.platform import storage
from utils.platform.errors import UserError


def lock_path(datamart_dir: str) -> str:
    return storage.join(datamart_dir, "_lock")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def is_stale(holder: dict) -> bool:
    return holder.get("host") == socket.gethostname() and not process_alive(int(holder.get("pid", -1)))


def read_holder(path: str) -> dict:
    try:
        return json.loads(storage.read_text(path))
    except (OSError, ValueError):
        return {}  # being written, or garbled: treated as held by an unknown process


@contextmanager
def datamart_lock(datamart_dir: str, run_id: str, say=print):
    path = lock_path(datamart_dir)
    mine = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "run_id": run_id,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    while not storage.create_exclusively(path, json.dumps(mine)):
        holder = read_holder(path)
        if holder and is_stale(holder):
            say(
                f"Taking over a stale lock on {datamart_dir}: run {holder.get('run_id')} (pid {holder.get('pid')}, "
                f"started {holder.get('started_at')}) ended without releasing it."
            )
            storage.delete(path)
            continue
        raise UserError(
            f"{datamart_dir} is in use by run {holder.get('run_id', '?')} (pid {holder.get('pid', '?')} on "
            f"{holder.get('host', '?')}, started {holder.get('started_at', '?')}); wait for it to finish, "
            f"or delete {path} if that process is gone."
        )
    try:
        yield
    finally:
        if read_holder(path).get("run_id") == run_id:
            storage.delete(path)
