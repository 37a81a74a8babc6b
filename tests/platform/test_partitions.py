"""Reading month partitions: the schema comes from the files' footers, so a read starts no Spark job."""

import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from tests.conftest import rows
from utils.platform.partitions import (
    distinct_values,
    month_counts,
    partition_path,
    read_months,
    read_months_frame,
    read_table,
    stored_schema,
    write_months,
)
from utils.platform.spark_jobs import group_name, jobs_in_group, jobs_run

JANUARY, FEBRUARY, MARCH = date(2023, 1, 1), date(2023, 2, 1), date(2023, 3, 1)


def a_table(spark, path: str) -> None:
    frame = spark.createDataFrame(
        [
            ("a", 1, 1.5, Decimal("2.25"), datetime(2023, 1, 5, 12, 0), True, ["x"], JANUARY),
            (None, None, None, None, None, None, None, FEBRUARY),
        ],
        "name string, n long, x double, amount decimal(10,2), seen timestamp, ok boolean, "
        "tags array<string>, snapshot_date date",
    )
    write_months(frame, path, [JANUARY, FEBRUARY], {JANUARY, FEBRUARY})


def test_a_read_with_the_stored_schema_equals_what_spark_infers_and_starts_no_job(spark, tmp_path):
    path = str(tmp_path / "table")
    a_table(spark, path)
    paths = [partition_path(path, JANUARY), partition_path(path, FEBRUARY)]
    inferring, told = group_name("test", "inferring"), group_name("test", "told")
    with jobs_in_group(spark, inferring):
        inferred = spark.read.option("basePath", path).parquet(*paths)
    with jobs_in_group(spark, told):
        read = read_months(spark, path, [JANUARY, FEBRUARY, MARCH])
    # Spark's own schema inference is a job per read; told the schema, the read is none.
    assert (jobs_run(spark, inferring), jobs_run(spark, told)) == (1, 0)
    assert read.schema == inferred.schema
    assert rows(read, "snapshot_date") == rows(inferred, "snapshot_date")
    assert read_table(spark, path).schema == inferred.schema


def test_a_file_without_spark_schema_is_read_with_the_schema_spark_infers(spark, tmp_path):
    folder = tmp_path / "table" / "snapshot_date=2023-01-01"
    folder.mkdir(parents=True)
    pd.DataFrame({"name": ["a"], "n": [1]}).to_parquet(folder / "part-0.parquet")  # not written by Spark
    assert stored_schema(str(folder)) is None
    read = read_months(spark, str(tmp_path / "table"), [JANUARY])
    assert [(row["name"], row["n"], row["snapshot_date"]) for row in read.collect()] == [("a", 1, JANUARY)]


def test_a_month_without_rows_is_not_read(spark, tmp_path):
    path = str(tmp_path / "table")
    a_table(spark, path)
    assert read_months(spark, path, [MARCH]) is None


def test_a_local_table_is_read_into_pandas_without_a_spark_job_as_spark_reads_it(spark, tmp_path):
    path = str(tmp_path / "table")
    a_table(spark, path)
    local_read = group_name("test", "local read")
    with jobs_in_group(spark, local_read):
        local = read_months_frame(spark, path, [FEBRUARY])
        both = read_months_frame(spark, path, [JANUARY, FEBRUARY])
    assert jobs_run(spark, local_read) == 0
    assert list(local["snapshot_date"]) == [FEBRUARY]
    through_spark = read_months_frame(spark, Path(path).as_uri(), [JANUARY, FEBRUARY])  # a URI: Spark reads it
    ordered = lambda frame: frame.sort_values("snapshot_date", ignore_index=True)  # noqa: E731
    pd.testing.assert_frame_equal(ordered(both), ordered(through_spark), check_exact=True)


def test_a_local_tables_rows_per_month_are_counted_from_its_footers_as_spark_counts_them(spark, tmp_path):
    path = str(tmp_path / "table")
    a_table(spark, path)
    january = Path(partition_path(path, JANUARY))
    written = next(january.glob("part-*.parquet"))
    shutil.copy(written, january / "part-copy.parquet")  # a second file in a month: both count
    (january / "_ignored").write_text("not data")  # Spark skips hidden files; so must the count
    tables = {"table": path, "absent": str(tmp_path / "absent")}
    counting = group_name("test", "local count")
    with jobs_in_group(spark, counting):
        local = month_counts(spark, tables, [JANUARY, FEBRUARY, MARCH])
        every_month = month_counts(spark, tables)
    assert jobs_run(spark, counting) == 0
    assert local == every_month == {"table": {JANUARY: 2, FEBRUARY: 1}, "absent": {}}
    uris = {name: Path(folder).as_uri() for name, folder in tables.items()}  # at a URI, Spark counts
    assert month_counts(spark, uris, [JANUARY, FEBRUARY, MARCH]) == month_counts(spark, uris) == local


def test_the_values_of_a_local_tables_column_are_read_without_a_spark_job_as_spark_reads_them(spark, tmp_path):
    path = str(tmp_path / "table")
    a_table(spark, path)  # January "a", February null
    reading = group_name("test", "distinct values")
    with jobs_in_group(spark, reading):
        local = {
            months: distinct_values(spark, path, list(months), "name") for months in [(JANUARY,), (JANUARY, FEBRUARY)]
        }
    assert jobs_run(spark, reading) == 0
    assert local == {(JANUARY,): {"a"}, (JANUARY, FEBRUARY): {"a", None}}
    assert distinct_values(spark, Path(path).as_uri(), [JANUARY, FEBRUARY], "name") == {"a", None}  # Spark
