from datetime import date

from tests.conftest import rows
from utils.silver.days_past_due import add_delinquency_columns

SCHEMA = "loan_id string, installment_num int, due_amt double, overdue_amt double, snapshot_date date"


def history(spark, loan_id, months):
    """Loan snapshots from (snapshot_date, installment_num, overdue_amt); 1000 due from installment 1."""
    data = [(loan_id, n, 0.0 if n == 0 else 1000.0, overdue, day) for day, n, overdue in months]
    return add_delinquency_columns(spark.createDataFrame(data, SCHEMA))


def dpd_by_month(frame):
    return [
        (row["snapshot_date"], row["installments_missed"], row["first_missed_date"], row["dpd"])
        for row in rows(frame, "snapshot_date")
    ]


def test_on_time_loan_is_never_past_due(spark):
    frame = history(spark, "a", [(date(2023, 1, 1), 0, 0.0), (date(2023, 2, 1), 1, 0.0), (date(2023, 3, 1), 2, 0.0)])
    assert [row[3] for row in dpd_by_month(frame)] == [0, 0, 0]
    assert [row["mob"] for row in rows(frame, "snapshot_date")] == [0, 1, 2]


def test_one_missed_installment_counts_days_since_the_missed_due_date(spark):
    frame = history(spark, "a", [(date(2023, 2, 1), 1, 0.0), (date(2023, 3, 1), 2, 1000.0)])
    assert dpd_by_month(frame)[1] == (date(2023, 3, 1), 1, date(2023, 2, 1), 28)  # February has 28 days


def test_two_missed_installments_reach_back_two_months(spark):
    frame = history(spark, "a", [(date(2023, 3, 1), 2, 1000.0), (date(2023, 4, 1), 3, 2000.0)])
    assert dpd_by_month(frame) == [
        (date(2023, 3, 1), 1, date(2023, 2, 1), 28),
        (date(2023, 4, 1), 2, date(2023, 2, 1), 59),
    ]


def test_partial_payment_rounds_the_missed_installments_up(spark):
    frame = history(spark, "a", [(date(2023, 6, 1), 5, 1200.0)])
    assert dpd_by_month(frame) == [(date(2023, 6, 1), 2, date(2023, 4, 1), 61)]


def test_caught_up_loan_is_current_again(spark):
    frame = history(spark, "a", [(date(2023, 4, 1), 3, 1000.0), (date(2023, 5, 1), 4, 0.0)])
    assert [row[3] for row in dpd_by_month(frame)] == [31, 0]


def test_paid_off_early_loan_has_no_arrears(spark):
    # Paid in full: nothing overdue while installments are still falling due.
    frame = history(spark, "a", [(date(2023, 5, 1), 4, 0.0), (date(2023, 6, 1), 5, 0.0)])
    assert [row[1:] for row in dpd_by_month(frame)] == [(0, date(2023, 5, 1), 0), (0, date(2023, 6, 1), 0)]


def test_installment_zero_has_nothing_due(spark):
    frame = history(spark, "a", [(date(2023, 1, 1), 0, 0.0)])
    assert dpd_by_month(frame) == [(date(2023, 1, 1), 0, date(2023, 1, 1), 0)]


def test_unknown_overdue_gives_unknown_dpd(spark):
    frame = history(spark, "a", [(date(2023, 5, 1), 4, None)])
    assert dpd_by_month(frame)[0][3] is None
