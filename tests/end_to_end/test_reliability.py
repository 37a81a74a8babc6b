"""Crash safety and one-run-at-a-time, with real processes killed by SIGKILL."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from main import LAYERS
from tests.conftest import ROOT
from tests.end_to_end.test_main import run_main
from utils.platform import partitions, storage
from utils.sources.registry import ATTRIBUTES, CLICKSTREAM, FINANCIALS, LOAN_DAILY, SOURCES

TABLES = [
    "bronze/lms_loan_daily",
    "bronze/feature_clickstream",
    "bronze/features_attributes",
    "bronze/features_financials",
    "silver/loan_daily",
    "silver/clickstream",
    "silver/attributes",
    "silver/financials",
    "gold/label_store",
    "gold/feature_store",
]
# What a revised extract replaced: one month-partitioned table per superseded ingestion.
HISTORY = [f"bronze/_history/{source.stem}" for source in SOURCES]


def partition(path: Path) -> pd.DataFrame:
    """One month partition as a comparable frame; lineage (when and from which file path
    a row was ingested, when it was replaced) is left out, the data itself is compared in full."""
    frame = pd.read_parquet(path).drop(columns=["_ingested_at", "_source_file", "_replaced_at"], errors="ignore")
    frame = frame[sorted(frame.columns)]
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def partitions_of(datamart: Path, name: str) -> dict[str, pd.DataFrame]:
    """Month partitions by name; in a history table, `ingested_at=.../snapshot_date=...`."""
    pattern = "ingested_at=*/snapshot_date=*" if name in HISTORY else "snapshot_date=*"
    return {str(p.relative_to(datamart / name)): partition(p) for p in sorted((datamart / name).glob(pattern))}


def snapshot(datamart: Path) -> dict[str, dict[str, pd.DataFrame]]:
    return {name: partitions_of(datamart, name) for name in TABLES + HISTORY}


def same(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    return left.shape == right.shape and left.reset_index(drop=True).equals(right.reset_index(drop=True))


def changed_sources(small_data: Path, out: Path) -> Path:
    """The same extracts with different values in every file and month."""
    shutil.copytree(small_data, out)
    edits = {
        CLICKSTREAM: ("fe_1", lambda v: str(int(v) + 1)),
        ATTRIBUTES: ("Occupation", lambda v: "Writer"),
        FINANCIALS: ("Interest_Rate", lambda v: "7"),
        LOAN_DAILY: ("paid_amt", lambda v: "0.0"),
    }
    for source, (column, edit) in edits.items():
        frame = pd.read_csv(small_data / source.file_name, dtype=str, keep_default_na=False)
        frame[column] = frame[column].map(edit)
        frame.to_csv(out / source.file_name, index=False)
    return out


@pytest.fixture(scope="module")
def states(small_datamart, small_data, tmp_path_factory):
    """A datamart built from the original data (before), and what a finished run on changed data
    gives (after): every month revised, so every bronze month is kept in the history too."""
    root = tmp_path_factory.mktemp("reliability")
    before = small_datamart
    changed = changed_sources(small_data, root / "changed")
    after = root / "after"
    shutil.copytree(before, after)
    assert run_main("--data-dir", changed, "--datamart-dir", after) == 0
    states = root, before, changed, snapshot(before), snapshot(after)
    assert not any(states[3][name] for name in HISTORY) and all(states[4][name] for name in HISTORY)
    return states


def start_run(data: Path, datamart: Path, layers: str) -> subprocess.Popen:
    """`python main.py` in its own process group, so SIGKILL takes its Spark JVM down with it."""
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--data-dir",
            str(data),
            "--datamart-dir",
            str(datamart),
            "--layers",
            layers,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(condition, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the run ended before the kill point"
        assert time.monotonic() < deadline, "the kill point never came"
        time.sleep(0.02)


def staging_under(datamart: Path, layer: str):
    return lambda: (
        any((datamart / layer).glob(f"{partitions.STAGING_PREFIX}*"))
        or any((datamart / layer).glob(f"*/{partitions.STAGING_PREFIX}*"))
    )


# Each kill point: the layers the killed run is given, and the moment it is killed. A run
# killed in silver or gold starts where a run that finished the layers before it left the
# datamart, so the killed process does not redo them (a cold Spark process is the slow part).
KILL_POINTS = {
    "while keeping replaced bronze months": (
        "bronze,silver,gold",
        lambda dm: lambda: any((dm / "bronze" / "_history").glob(f"*/{partitions.STAGING_PREFIX}*")),
    ),
    "while writing bronze": ("bronze,silver,gold", lambda dm: staging_under(dm, "bronze")),
    "while writing silver": ("silver,gold", lambda dm: staging_under(dm, "silver")),
    "while writing gold": ("gold", lambda dm: staging_under(dm, "gold")),
}


def layers_done_before(before: Path, after: Path, layers: str, datamart: Path) -> None:
    """The datamart as it was before the changed data, with the layers that come before
    `layers` as a finished run on the changed data left them."""
    shutil.copytree(before, datamart)
    for layer in LAYERS:
        if layer in layers.split(","):
            break
        shutil.rmtree(datamart / layer)
        shutil.copytree(after / layer, datamart / layer)


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_run_leaves_every_partition_old_or_new_and_the_next_run_completes(states, point, capsys):
    root, before_dir, changed, before, after = states
    datamart = root / f"killed {point}"
    layers, kill_point = KILL_POINTS[point]
    layers_done_before(before_dir, root / "after", layers, datamart)
    process = start_run(changed, datamart, layers)
    try:
        wait_for(kill_point(datamart), process)
        # While it runs, a second run on the same datamart is refused.
        assert run_main("--data-dir", changed, "--datamart-dir", datamart, "--layers", "bronze") == 2
        assert "is in use by run" in capsys.readouterr().err
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    now = snapshot(datamart)
    for name in TABLES:
        assert set(now[name]) == set(before[name]), f"{name} lost or gained a month"
        for month, frame in now[name].items():
            assert same(frame, before[name][month]) or same(frame, after[name][month]), (
                f"{name} {month} is half written"
            )
    for name in HISTORY:  # a replaced month is kept whole, or not yet
        assert set(now[name]) <= set(after[name]), f"{name} gained a month"
        for month, frame in now[name].items():
            assert same(frame, after[name][month]), f"{name} {month} is half written"
    for source in SOURCES:  # and never lost: a bronze month already replaced is in the history
        current, kept = f"bronze/{source.stem}", f"bronze/_history/{source.stem}"
        for month, frame in now[current].items():
            if not same(frame, before[current][month]):
                assert any(key.endswith(month) for key in now[kept]), f"{current} {month} replaced but not kept"
    # The same command again takes over the dead run's lock, cleans up, and ends where a
    # clean run ends.
    assert run_main("--data-dir", changed, "--datamart-dir", datamart, "--layers", layers) == 0
    out = capsys.readouterr().out
    assert "Taking over a stale lock" in out
    final = snapshot(datamart)
    for name in TABLES + HISTORY:
        assert final[name].keys() == after[name].keys()
        for month in final[name]:
            assert same(final[name][month], after[name][month]), f"{name} {month}"
    assert not list(datamart.rglob(f"{partitions.STAGING_PREFIX}*")) and not (datamart / "_lock").exists()


def test_a_write_interrupted_after_its_commit_is_finished_on_recovery(spark, tmp_path, monkeypatch):
    """The moment between two partition moves: recovery completes the write."""
    table_path = str(tmp_path / "silver" / "t")
    frame = spark.createDataFrame([(1, "2023-01-01"), (2, "2023-02-01")], "v int, d string").selectExpr(
        "v", "to_date(d) as snapshot_date"
    )
    from datetime import date

    months = [date(2023, 1, 1), date(2023, 2, 1)]
    partitions.write_months(frame, table_path, months, set(months))
    newer = frame.selectExpr("v + 10 as v", "snapshot_date")
    real_rename, moves = storage.rename, []

    def crash_on_second_move(source, target):
        moves.append(target)
        if len(moves) == 3:  # old January out, new January in, then the power goes
            raise KeyboardInterrupt
        real_rename(source, target)

    monkeypatch.setattr(storage, "rename", crash_on_second_move)
    with pytest.raises(KeyboardInterrupt):
        partitions.write_months(newer, table_path, months, set(months))
    monkeypatch.setattr(storage, "rename", real_rename)
    assert len(partitions.recover_interrupted_writes(str(tmp_path))) == 1
    values = sorted(row["v"] for row in spark.read.parquet(table_path).collect())
    assert values == [11, 12]
    assert not list(tmp_path.rglob(f"{partitions.STAGING_PREFIX}*"))


def test_an_uncommitted_write_is_dropped_on_recovery(tmp_path):
    staged = tmp_path / "silver" / f"{partitions.STAGING_PREFIX}t-1-abc" / "snapshot_date=2023-01-01"
    staged.mkdir(parents=True)
    (staged / "part-0.parquet").write_text("half")
    assert partitions.recover_interrupted_writes(str(tmp_path)) == [f"removed the unfinished write {staged.parent}"]
    assert not staged.parent.exists()


def test_a_live_lock_is_respected_and_names_its_holder(spark, small_data, tmp_path, capsys):
    datamart = tmp_path / "dm"
    datamart.mkdir()
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "run_id": "20260101T000000Z-abcdef",
        "started_at": "2026-01-01T00:00:00+00:00",
    }
    (datamart / "_lock").write_text(json.dumps(holder))
    assert run_main("--data-dir", small_data, "--datamart-dir", datamart) == 2
    message = capsys.readouterr().err
    assert (
        f"in use by run 20260101T000000Z-abcdef (pid {os.getpid()} on {socket.gethostname()}, started 2026-01-01T00:00:00+00:00)"
        in message
    )
    assert json.loads((datamart / "_lock").read_text()) == holder  # not taken from a live holder


def test_adding_a_month_and_running_only_it_equals_a_full_rebuild(states, small_data, tmp_path):
    _, _, _, full_rebuild, _ = states  # the original eight months, built in one run
    seven_months = tmp_path / "seven"
    seven_months.mkdir()
    for source in SOURCES:
        frame = pd.read_csv(small_data / source.file_name, dtype=str, keep_default_na=False)
        frame[frame["snapshot_date"] != "2023-08-01"].to_csv(seven_months / source.file_name, index=False)
    datamart = tmp_path / "datamart"
    assert run_main("--data-dir", seven_months, "--datamart-dir", datamart) == 0
    assert (
        run_main("--data-dir", small_data, "--datamart-dir", datamart, "--start", "2023-08-01", "--end", "2023-08-01")
        == 0
    )
    incremental = snapshot(datamart)
    for name in TABLES:
        assert incremental[name].keys() == full_rebuild[name].keys(), name
        for month in incremental[name]:
            assert same(incremental[name][month], full_rebuild[name][month]), f"{name} {month}"
