import re
import sys
import threading
import time

import pytest
from pyspark.sql import SparkSession

from utils.platform import console, side_by_side
from utils.platform.side_by_side import TABLES_AT_ONCE, build_side_by_side
from utils.platform.spark_jobs import group_name, jobs_in_group, jobs_run


def test_results_come_back_in_the_order_of_the_builds(spark):
    def build(value: int, pause: float):
        def run():
            time.sleep(pause)
            return value

        return run

    assert build_side_by_side(spark, [build(1, 0.2), build(2, 0.0), build(3, 0.1), build(4, 0.0)]) == [1, 2, 3, 4]


def test_two_builds_run_at_once_and_never_more(spark):
    both_started = threading.Barrier(TABLES_AT_ONCE, timeout=30)  # broken if they ran one after another
    running, most = [0], [0]
    lock = threading.Lock()

    def build():
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        both_started.wait()
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    build_side_by_side(spark, [build] * 4)
    assert most[0] == TABLES_AT_ONCE == 2


def test_each_build_has_the_session_active_and_its_own_job_group(spark):
    def build(step: str):
        def run():
            assert SparkSession.getActiveSession() is not None
            with jobs_in_group(spark, group_name("run-side", step)):
                spark.range(10).count()
            return spark.sparkContext.getLocalProperty("inherited")

        return run

    spark.sparkContext.setLocalProperty("inherited", "from the caller")
    try:
        inherited = build_side_by_side(spark, [build("silver/a"), build("silver/b")])
    finally:
        spark.sparkContext.setLocalProperty("inherited", None)
    assert inherited == ["from the caller", "from the caller"]
    assert [jobs_run(spark, group_name("run-side", step)) for step in ("silver/a", "silver/b")] == [1, 1]


def test_a_failure_lets_the_running_build_finish_skips_the_rest_and_is_raised(spark):
    finished = []
    second_started = threading.Event()

    def failing():
        second_started.wait(timeout=30)
        raise ValueError("the first table failed")

    def slow():
        second_started.set()
        time.sleep(0.3)
        finished.append("slow")

    def never():
        finished.append("never")

    with pytest.raises(ValueError, match="the first table failed"):
        build_side_by_side(spark, [failing, slow, never, never])
    assert finished == ["slow"]


def test_of_two_failures_the_first_build_s_is_raised(spark):
    both_started = threading.Barrier(2, timeout=30)  # else the later failure may skip the first build

    def fails(message: str, pause: float):
        def run():
            both_started.wait()
            time.sleep(pause)
            raise RuntimeError(message)

        return run

    with pytest.raises(RuntimeError, match="first"):
        build_side_by_side(spark, [fails("first", 0.3), fails("second", 0.0)])


def silver_step(table: str, pause: float):
    """A build that shows a console step for `table` (8 months, 1,000 rows) lasting `pause` seconds."""

    def run():
        with console.step("silver", table) as line:
            line.months, line.rows = 8, 1000
            time.sleep(pause)

    return run


def test_step_lines_printed_from_two_threads_stay_whole(spark, capsys):
    build_side_by_side(spark, [silver_step(f"table_{index}", 0.05) for index in range(6)])
    lines = capsys.readouterr().out.splitlines()
    whole = [re.fullmatch(r"  silver  (table_\d) +8 months +1,000 rows +\d+\.\d s", line) for line in lines]
    assert all(whole) and sorted(match.group(1) for match in whole) == [f"table_{index}" for index in range(6)], lines


def test_a_terminal_shows_the_tables_under_way_and_ends_with_only_their_result_lines(spark, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    build_side_by_side(spark, [silver_step(table, 0.1) for table in ("loan_daily", "clickstream", "attributes")])
    written = capsys.readouterr().out
    shown = [part[2:-4].split(", ") for part in written.split(console.CLEAR_LINE) if part.endswith(" ...")]
    # both shown while they run, in the order their threads happened to start
    assert ["silver clickstream", "silver loan_daily"] in [sorted(names) for names in shown], shown
    screen = [line.rsplit(console.CLEAR_LINE, 1)[-1] for line in written.split("\n")]  # as a terminal shows it
    assert screen[-1] == ""  # no progress text left behind
    assert sorted(line.split()[1] for line in screen[:-1]) == ["attributes", "clickstream", "loan_daily"], screen
    assert all(re.fullmatch(r"  silver  \w+ +8 months +1,000 rows +\d+\.\d s", line) for line in screen[:-1]), screen


def test_without_pinned_threads_the_builds_run_one_after_another_on_the_caller_s_thread(spark, monkeypatch):
    assert side_by_side.pinned_threads()  # PySpark's default, as the pipeline runs
    monkeypatch.setattr(side_by_side, "pinned_threads", lambda: False)  # PYSPARK_PIN_THREAD=false
    caller = threading.current_thread()
    assert build_side_by_side(spark, [lambda: threading.current_thread() is caller] * 3) == [True, True, True]
