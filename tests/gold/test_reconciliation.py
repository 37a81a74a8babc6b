"""Gold reconciliation on tiny hand-made silver loans: every loan in a store or held back with a reason."""

from datetime import date

from tests.conftest import rows
from utils.gold.reconciliation import account, loans_in_silver, unexplained_message

M = [date(2023, month, 1) for month in range(1, 13)]
SNAPSHOTS = "loan_id string, Customer_ID string, loan_start_date date, snapshot_date date, mob int"
STORE = "loan_id string, snapshot_date date"


def snapshots(spark):
    return spark.createDataFrame(
        [
            # a: complete, applied in January, seen to mob 7
            *[("a", "A", M[0], M[m], m) for m in range(8)],
            # b: its first snapshot never reached silver (rejected in bronze), applied in February
            *[("b", "B", M[1], M[m], m - 1) for m in range(2, 5)],
            # c: no readable dates nor installment_num anywhere, first seen in March
            ("c", "C", None, M[2], None),
            # d: reached mob 7 but its mob-6 snapshot is missing
            *[("d", "D", M[0], M[m], m) for m in (0, 1, 7)],
        ],
        SNAPSHOTS,
    )


def test_each_loan_is_dated_by_its_application_month(spark):
    loans = {row["loan_id"]: row for row in rows(loans_in_silver(snapshots(spark)), "loan_id")}
    assert loans["a"]["application_month"] == M[0] and loans["a"]["has_first_snapshot"] == 1
    assert loans["b"]["application_month"] == M[1] and loans["b"]["has_first_snapshot"] == 0
    assert loans["c"]["application_month"] is None and loans["c"]["first_seen"] == M[2]
    assert loans["d"]["max_mob"] == 7


def statuses(accounted):
    return sorted((row["loan_id"], row["status"], row["reason"], row["snapshot_date"]) for row in accounted.collect())


def test_loans_without_an_application_row_are_held_back_with_their_reason(spark):
    loans = loans_in_silver(snapshots(spark))
    store = spark.createDataFrame([("a", M[0]), ("d", M[0])], STORE)
    assert statuses(account(loans, store, "feature_store", 0)) == [
        ("a", "stored", None, M[0]),
        ("b", "held_back", "first_snapshot_missing", M[1]),
        ("c", "held_back", "months_on_book_unknown", M[2]),  # counted where it was first seen
        ("d", "stored", None, M[0]),
    ]


def test_a_loan_past_the_label_month_without_its_label_is_held_back(spark):
    loans = loans_in_silver(snapshots(spark))
    labels = spark.createDataFrame([("a", M[6])], STORE)
    assert statuses(account(loans, labels, "label_store", 6)) == [
        ("a", "stored", None, M[6]),
        ("d", "held_back", "label_snapshot_missing", M[6]),
    ]


def test_a_store_row_in_a_month_silver_does_not_date_it_to_is_unexplained(spark):
    loans = loans_in_silver(snapshots(spark))
    store = spark.createDataFrame([("a", M[0]), ("b", M[3]), ("d", M[0])], STORE)
    unexplained = [row for row in statuses(account(loans, store, "feature_store", 0)) if row[1] == "unexplained"]
    # b is stored in April but applied in February: the April row is unexplained
    assert unexplained == [("b", "unexplained", None, M[3])]


def test_a_loan_that_reached_exactly_the_label_month_without_a_label_is_unexplained(spark):
    """Its mob-6 snapshot is in silver, so the label store should hold it: that is a bug, not data."""
    loans = loans_in_silver(spark.createDataFrame([("e", "E", M[0], M[m], m) for m in range(7)], SNAPSHOTS))
    empty = spark.createDataFrame([], STORE)
    assert statuses(account(loans, empty, "label_store", 6)) == [("e", "unexplained", None, M[6])]


def test_the_error_names_the_loans():
    message = unexplained_message("feature_store", [f"loan_{i}" for i in range(12)])
    assert message.startswith("gold/feature_store: 12 loan(s)") and "loan_9 and 2 more" in message
