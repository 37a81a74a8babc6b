"""Bronze versions on tiny frames: the month fingerprint, the revision counts, and which copy is valid when."""

from datetime import UTC, date, datetime, timedelta

from utils.bronze.versions import (
    MonthVersion,
    ingestion_second,
    month_versions,
    revision_counts,
    valid_at,
    with_personal_placeholders,
    without_personal_data,
)
from utils.sources.registry import ATTRIBUTES

MAY, JUNE = date(2023, 5, 1), date(2023, 6, 1)
COLUMNS = "Customer_ID string, Name string, Age string, SSN string, Occupation string, _snapshot_date_raw string"


def attributes(spark, rows):
    """Rows of (Customer_ID, Name, Age, SSN, Occupation, month) in bronze's layout."""
    frame = spark.createDataFrame(
        [(*row[:5], row[5].isoformat(), row[5], datetime(2026, 1, 1)) for row in rows],
        f"{COLUMNS}, snapshot_date date, _ingested_at timestamp",
    )
    return frame


def fingerprints(spark, rows):
    from utils.bronze.versions import content_columns

    return {
        month: version.fingerprint
        for month, version in month_versions(attributes(spark, rows), content_columns(ATTRIBUTES)).items()
    }


ROWS = [
    ("C1", "Ann", "30", "1", "Teacher", MAY),
    ("C2", "Bob", "40", "2", "Writer", MAY),
    ("C1", "Ann", "31", "1", "Teacher", JUNE),
]


def test_the_fingerprint_ignores_row_order_and_sees_any_changed_value(spark):
    same = fingerprints(spark, ROWS)
    assert fingerprints(spark, list(reversed(ROWS))) == same
    edited = fingerprints(spark, [ROWS[0], ("C2", "Bob", "41", "2", "Writer", MAY), ROWS[2]])
    assert edited[MAY] != same[MAY] and edited[JUNE] == same[JUNE]
    # A null is not the empty text, and values moved between columns are not the same row.
    assert fingerprints(spark, [("C1", None, "30", "1", "Teacher", MAY)]) != fingerprints(
        spark, [("C1", "", "30", "1", "Teacher", MAY)]
    )
    assert fingerprints(spark, [("C1", "1", "30", None, "Teacher", MAY)]) != fingerprints(
        spark, [("C1", None, "30", "1", "Teacher", MAY)]
    )


def test_revisions_count_keys_added_removed_and_changed_per_month(spark):
    old = attributes(spark, ROWS)
    new = attributes(
        spark,
        [
            ("C1", "Ann", "30", "1", "Teacher", MAY),  # unchanged
            ("C3", "Cy", "50", "3", "Writer", MAY),  # added; C2 removed
            ("C1", "Ann", "32", "1", "Teacher", JUNE),  # changed
            ("C1", "Ann", "32", "1", "Teacher", JUNE),  # and now twice: still one key
        ],
    )
    assert revision_counts(old, new, ATTRIBUTES) == {
        MAY: {"added": 1, "removed": 1, "changed": 0},
        JUNE: {"added": 0, "removed": 0, "changed": 1},
    }


def test_personal_data_leaves_only_which_rows_of_a_key_differ(spark):
    rows = [
        ("C1", "Ann", "30", "1", "Teacher", MAY),
        ("C1", "Ann", "30", "1", "Teacher", MAY),  # a copy
        ("C2", "Bob", "40", "2", "Writer", MAY),
        ("C2", "Rob", "40", "2", "Writer", MAY),  # a conflict in the name only
    ]
    kept = without_personal_data(attributes(spark, rows), ATTRIBUTES)
    assert not {"Name", "SSN"} & set(kept.columns)
    variants = sorted((row["Customer_ID"], row["_personal_data_variant"]) for row in kept.collect())
    assert variants == [("C1", 1), ("C1", 1), ("C2", 1), ("C2", 2)]
    restored = with_personal_placeholders(kept, ATTRIBUTES)
    assert sorted((row["Customer_ID"], row["Name"], row["SSN"]) for row in restored.collect()) == [
        ("C1", "1", None),
        ("C1", "1", None),
        ("C2", "1", None),
        ("C2", "2", None),
    ]


def at(hour: int) -> datetime:
    return datetime(2026, 3, 1, hour, tzinfo=UTC)


def test_the_copy_valid_at_an_instant_is_the_one_ingested_before_and_not_yet_replaced():
    first = ("history/1", MonthVersion(at(1), "a", replaced_at=at(5)))
    second = ("history/5", MonthVersion(at(5), "b", replaced_at=at(9)))
    current = ("bronze", MonthVersion(at(9), "c"))
    copies = [first, second, current]
    assert valid_at(copies, at(0)) is None  # before the month existed
    assert valid_at(copies, at(1)) == first
    assert valid_at(copies, at(4)) == first
    assert valid_at(copies, at(5)) == second  # replaced at 5: from 5 on the new rows count
    assert valid_at(copies, at(12)) == current
    # A run killed after keeping the month but before replacing it: the history copy of the
    # current ingestion says replaced at 7, but the current table still holds it.
    left_by_a_crash = ("history/9", MonthVersion(at(9), "c", replaced_at=at(11)))
    assert valid_at([*copies, left_by_a_crash], at(10)) == current
    assert valid_at([*copies, left_by_a_crash], at(12)) == current


def test_an_ingestion_is_dated_after_the_second_the_last_run_finished_in():
    now = datetime(2026, 12, 6, 6, 8, 46, 400_000, tzinfo=UTC)
    assert ingestion_second(now, None) == now.replace(microsecond=0)
    assert ingestion_second(now, now - timedelta(seconds=2)) == now.replace(microsecond=0)
    # the last run finished earlier in this same second: the next second
    assert ingestion_second(now, now - timedelta(milliseconds=300)) == datetime(2026, 12, 6, 6, 8, 47, tzinfo=UTC)
    # a clock that went back a little: still after the last run
    assert ingestion_second(now, now + timedelta(seconds=3)) == datetime(2026, 12, 6, 6, 8, 50, tzinfo=UTC)
