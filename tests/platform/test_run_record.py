from datetime import UTC, datetime, timedelta

from utils.platform.run_record import RunRecord, latest_run, new_run_id


def test_run_ids_sort_in_start_order_within_one_second():
    start = datetime(2026, 12, 6, 6, 8, 46, 900_000, tzinfo=UTC)
    starts = [start + timedelta(microseconds=us) for us in (0, 1, 9, 10, 99_999, 100_000, 1_000_000)]
    for _ in range(20):  # the random part must never decide the order
        ids = [new_run_id(moment) for moment in starts]
        assert sorted(ids) == ids


def test_the_latest_run_is_the_one_that_started_last(tmp_path):
    for parameters in ({"run": 1}, {"run": 2}, {"run": 3}):  # all within a second
        RunRecord("run", parameters).write(str(tmp_path))
    assert latest_run(str(tmp_path))["parameters"] == {"run": 3}
