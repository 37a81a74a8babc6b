"""Month partitions: every table is parquet partitioned by `snapshot_date=YYYY-MM-DD`.

A job rewrites exactly the months it was asked for: months with new rows are replaced
(dynamic partition overwrite), requested months that now have no rows are removed, and
every other month is left as it was.
"""

from datetime import date

from pyspark.sql import DataFrame, SparkSession

from utils import storage

PARTITION_COLUMN = "snapshot_date"


def partition_path(table_path: str, month: date) -> str:
    return storage.join(table_path, f"{PARTITION_COLUMN}={month.isoformat()}")


def months_present(table_path: str) -> list[date]:
    prefix = f"{PARTITION_COLUMN}="
    return sorted(date.fromisoformat(name[len(prefix):]) for name in storage.list_names(table_path) if name.startswith(prefix))


def write_months(frame: DataFrame, table_path: str, months: list[date], months_with_rows: set[date]) -> None:
    """Replace the requested months of a table with the frame's rows (one file per month)."""
    if months_with_rows:
        (frame.repartition(PARTITION_COLUMN)
         .write.mode("overwrite").partitionBy(PARTITION_COLUMN).parquet(table_path))
    for month in months:
        if month not in months_with_rows:
            storage.delete(partition_path(table_path, month))


def read_months(spark: SparkSession, table_path: str, months: list[date]) -> DataFrame | None:
    """The table's rows for the given months, or None when it has none of them."""
    present = set(months_present(table_path))
    paths = [partition_path(table_path, month) for month in months if month in present]
    if not paths:
        return None
    return spark.read.option("basePath", table_path).parquet(*paths)
