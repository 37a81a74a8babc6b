from datetime import date, datetime
from pathlib import Path

from utils.bronze.ingest import (
    REJECT_REASON,
    accepted_rows,
    publish_bronze,
    read_source_csv,
    rejected_rows,
    stage_bronze,
    tag_rows,
)
from utils.platform.partitions import months_present
from utils.sources.registry import ATTRIBUTES

HEADER = ",".join(ATTRIBUTES.columns)


def tagged(spark, tmp_path, lines):
    path = tmp_path / "features_attributes.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return tag_rows(read_source_csv(spark, str(path), ATTRIBUTES), str(path), datetime(2026, 1, 1))


def test_values_stay_exactly_as_in_the_file(spark, tmp_path):
    frame = tagged(spark, tmp_path, ['CUS_1,"Lovelace, Ada",32_,#F%$D@*&8,_______,5/1/23'])
    row = accepted_rows(frame, ATTRIBUTES, date(2023, 5, 1), date(2023, 5, 1)).collect()[0]
    assert (row["Name"], row["Age"], row["SSN"], row["Occupation"]) == ("Lovelace, Ada", "32_", "#F%$D@*&8", "_______")
    assert row["snapshot_date"] == date(2023, 5, 1) and row["_snapshot_date_raw"] == "5/1/23"
    assert row["_source_file"].endswith("features_attributes.csv")


def test_all_three_date_formats_land_in_the_same_month(spark, tmp_path):
    frame = tagged(
        spark, tmp_path, ["A,n,30,s,Teacher,2023-05-01", "B,n,30,s,Teacher,5/1/2023", "C,n,30,s,Teacher,5/1/23"]
    )
    assert {row["snapshot_date"] for row in frame.collect()} == {date(2023, 5, 1)}


def test_unplaceable_rows_are_rejected_with_their_reason(spark, tmp_path):
    frame = tagged(
        spark,
        tmp_path,
        [
            "A,n,30,s,Teacher,2023-05-01",
            "B,n,30,s,Teacher,yesterday",
            "C,n,30,s,Teacher,",
            "D,n,30,s,Teacher,2023-05-17",
            "E,n,30,Teacher,2023-05-01",
            "F,n,30,s,Teacher,2023-05-01,extra",
        ],
    )
    reasons = {row["Customer_ID"]: row[REJECT_REASON] for row in rejected_rows(frame, ATTRIBUTES).collect()}
    assert reasons == {
        "B": "snapshot_date is not a date in YYYY-MM-DD, M/D/YYYY or M/D/YY",
        "C": "snapshot_date is empty",
        "D": "snapshot_date is not the first of a month",
        "E": "wrong number of fields",
        "F": "wrong number of fields",
    }
    raw_lines = {row["Customer_ID"]: row["_raw_line"] for row in rejected_rows(frame, ATTRIBUTES).collect()}
    assert raw_lines["E"] == "E,n,30,Teacher,2023-05-01"
    assert [
        row["Customer_ID"] for row in accepted_rows(frame, ATTRIBUTES, date(2023, 5, 1), date(2023, 5, 1)).collect()
    ] == ["A"]


def test_only_requested_months_are_accepted(spark, tmp_path):
    frame = tagged(
        spark, tmp_path, ["A,n,30,s,Teacher,2023-05-01", "B,n,30,s,Teacher,2023-06-01", "C,n,30,s,Teacher,2023-07-01"]
    )

    def accepted(start, end):
        return sorted(row["Customer_ID"] for row in accepted_rows(frame, ATTRIBUTES, start, end).collect())

    assert accepted(date(2023, 6, 1), date(2023, 6, 1)) == ["B"]
    assert accepted(date(2023, 6, 1), None) == ["B", "C"]
    assert accepted(None, date(2023, 6, 1)) == ["A", "B"]
    assert accepted(None, None) == ["A", "B", "C"]


def test_staging_writes_the_range_and_sees_the_whole_file(spark, tmp_path):
    """One pass: the months in range are staged (not yet in the table), while the file's
    first and last month and its rejects are counted over every row."""
    frame = tagged(
        spark,
        tmp_path,
        [
            "A,n,30,s,Teacher,2023-05-01",
            "B,n,30,s,Teacher,2023-06-01",
            "B2,n,30,s,Teacher,2023-06-01",
            "C,n,30,s,Teacher,2023-07-01",
            "D,n,30,s,Teacher,someday",
            "E,n,30,Teacher,2023-06-01",
        ],
    )
    table = tmp_path / "bronze" / "features_attributes"
    staged = stage_bronze(spark, frame, ATTRIBUTES, str(table), date(2023, 6, 1), date(2023, 6, 1))
    assert staged.rows_per_month == {date(2023, 6, 1): 2}
    assert (staged.first_month, staged.last_month, staged.rejected) == (date(2023, 5, 1), date(2023, 7, 1), 2)
    assert months_present(staged.staged) == [date(2023, 6, 1)] and not table.exists()

    publish_bronze(spark, frame, ATTRIBUTES, staged, str(tmp_path), [date(2023, 6, 1)], datetime(2026, 1, 1))
    assert sorted(row["Customer_ID"] for row in spark.read.parquet(str(table)).collect()) == ["B", "B2"]
    rejects = tmp_path / "bronze" / "_rejects" / "features_attributes"
    assert sorted(row["Customer_ID"] for row in spark.read.parquet(str(rejects)).collect()) == ["D", "E"]
    assert not Path(staged.staged).exists()


def test_a_file_without_quotes_read_in_splits_gives_the_same_rows_as_one_piece(spark, tmp_path):
    """The parallel read (no multiLine) is only used for quote-free files; across split
    boundaries, with a byte-order mark, CRLF line ends and bad rows, it must see what the
    one-piece read sees."""
    from utils.sources.files import may_hold_quoted_fields

    lines = [
        f"CUS_{i},name {i},{20 + i % 50},s{i},Teacher,{'2023-05-01' if i % 97 else 'not a date'}" for i in range(3000)
    ]
    lines[1234] = "CUS_short,n,30,Teacher,2023-05-01"  # a field missing
    path = tmp_path / "features_attributes.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([HEADER, *lines, ""]).encode("utf-8"))
    assert not may_hold_quoted_fields(str(path))

    def read(multi_line: bool):
        """The tagged frame and its rows, sorted."""
        frame = tag_rows(
            read_source_csv(spark, str(path), ATTRIBUTES, multi_line=multi_line), str(path), datetime(2026, 1, 1)
        )
        return frame, sorted(tuple(row) for row in frame.drop("_ingested_at").collect())

    previous = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16k")  # about ten splits of this 150 kB file
    try:
        split_frame, split_rows = read(multi_line=False)
        assert split_frame.rdd.getNumPartitions() > 1
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", previous)
    whole_frame, whole_rows = read(multi_line=True)
    assert whole_frame.rdd.getNumPartitions() == 1
    assert len(split_rows) == 3000 and split_rows == whole_rows
