"""Disk full while a run writes: one sentence, and the datamart as it was.

Needs root to mount a small tmpfs as the datamart's disk; elsewhere it is skipped and says why."""

import os
import shutil
import subprocess

import pytest

from tests.end_to_end.test_main import run_main
from tests.end_to_end.test_reliability import TABLES, same, snapshot

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a small tmpfs as the datamart's disk needs root (CI runs as root)"
)


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk, leave_bytes: int):
    """A filler file that leaves `leave_bytes` free on the disk."""
    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(free - leave_bytes, 0))


def test_a_full_disk_ends_the_run_with_one_sentence_and_loses_nothing(small_data, small_datamart, small_disk, capsys):
    datamart = small_disk / "datamart"
    shutil.copytree(small_datamart, datamart)
    before = snapshot(datamart)
    fill(small_disk, leave_bytes=256 * 1024)  # room for a few files, not for a run's tables

    assert run_main("--data-dir", small_data, "--datamart-dir", datamart) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "disk holding" in error and "is full" in error, error
    assert "Traceback" not in error
    after = snapshot(datamart)
    for name in TABLES:
        assert before[name].keys() == after[name].keys(), name
        assert all(same(before[name][month], after[name][month]) for month in before[name]), name
    assert not list(datamart.rglob("_staging-*")), "unfinished writes left behind"

    (small_disk / "filler").unlink()  # space again: the next run just works
    assert run_main("--data-dir", small_data, "--datamart-dir", datamart) == 0
