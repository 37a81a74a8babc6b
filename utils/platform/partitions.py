"""Month partitions, written crash-safe.

Every table is parquet partitioned by `snapshot_date=YYYY-MM-DD`. A job rewrites exactly
the months it was asked for: months with new rows are replaced, requested months that now
have no rows are removed, every other month is left as it was.

A kill -9 at any moment must leave each table as it was or as the finished job leaves it,
so a write goes in three steps:
  1. Spark writes the new months into a staging folder next to the table
     (`_staging-<table>-<token>`); readers of the table never look there.
  2. A journal listing the partition moves is written into the staging folder, at once.
     This is the commit point.
  3. Each partition is moved into place by renames (atomic on a local or HDFS file
     system): the old partition to the staging folder's `_old/`, the new one into the
     table. Then the staging folder is deleted.
On start, `recover_interrupted_writes` finishes every committed write (step 3 is safe to
repeat) and deletes every uncommitted one, so the next run always starts from a clean,
consistent datamart.
"""

import json
import os
import secrets
from datetime import date
from functools import reduce
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset
import pyarrow.parquet
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from utils.platform import storage

PARTITION_COLUMN = "snapshot_date"
STAGING_PREFIX = "_staging-"
JOURNAL = "_publish.json"
SPARK_SCHEMA_KEY = b"org.apache.spark.sql.parquet.row.metadata"  # a parquet footer's Spark schema


def partition_path(table_path: str, month: date) -> str:
    return storage.join(table_path, f"{PARTITION_COLUMN}={month.isoformat()}")


def months_present(table_path: str) -> list[date]:
    prefix = f"{PARTITION_COLUMN}="
    return sorted(
        date.fromisoformat(name[len(prefix) :]) for name in storage.list_names(table_path) if name.startswith(prefix)
    )


def staging_path(table_path: str) -> str:
    parent, name = table_path.rstrip("/").rsplit("/", 1)
    return storage.join(parent, f"{STAGING_PREFIX}{name}-{os.getpid()}-{secrets.token_hex(3)}")


def publish(staged: str) -> None:
    """Carry out a committed write's moves; safe to repeat after a crash at any point."""
    journal = json.loads(storage.read_text(storage.join(staged, JOURNAL)))
    old = storage.join(staged, "_old")
    for index, (source, target) in enumerate(journal["moves"]):
        if not storage.exists(source):
            continue  # moved by an earlier attempt
        if storage.exists(target):
            storage.rename(target, storage.join(old, str(index)))
        storage.rename(source, target)
    for index, target in enumerate(journal["removes"]):
        if storage.exists(target):
            storage.rename(target, storage.join(old, f"removed-{index}"))
    storage.delete(staged)


def commit(staged: str, moves: list[tuple[str, str]], removes: list[str]) -> None:
    storage.write_text(storage.join(staged, JOURNAL), json.dumps({"moves": moves, "removes": removes}, indent=1))
    publish(staged)


def stage_months(frame: DataFrame, table_path: str) -> str:
    """Step 1: Spark writes the frame's month partitions (one file per month) into a new
    staging folder, which readers of the table never see. Returns the folder."""
    staged = staging_path(table_path)
    frame.repartition(PARTITION_COLUMN).write.mode("overwrite").partitionBy(PARTITION_COLUMN).parquet(staged)
    return staged


def commit_months(staged: str, table_path: str, months: list[date], months_with_rows: set[date]) -> None:
    """Steps 2 and 3: the staged months replace the table's, and requested months that now
    have no rows are removed."""
    moves = [(partition_path(staged, month), partition_path(table_path, month)) for month in sorted(months_with_rows)]
    removes = [partition_path(table_path, month) for month in months if month not in months_with_rows]
    commit(staged, moves, removes)


def write_months(frame: DataFrame, table_path: str, months: list[date], months_with_rows: set[date]) -> None:
    """Replace the requested months of a table with the frame's rows (one file per month)."""
    staged = stage_months(frame, table_path) if months_with_rows else staging_path(table_path)
    commit_months(staged, table_path, months, months_with_rows)


def write_whole(frame: DataFrame | None, table_path: str) -> None:
    """Replace an unpartitioned table at once (None removes it)."""
    staged = staging_path(table_path)
    if frame is None:
        commit(staged, [], [table_path])
        return
    frame.write.mode("overwrite").parquet(storage.join(staged, "table"))
    commit(staged, [(storage.join(staged, "table"), table_path)], [])


def recover_interrupted_writes(datamart_dir: str, depth: int = 4) -> list[str]:
    """Finish committed writes, drop uncommitted ones; returns what was done, for the log.
    Four levels reach the deepest staging folders, those of bronze/_history/<stem>/ingested_at=..."""
    done = []
    folders = [datamart_dir]
    for _ in range(depth):
        found = []
        for folder in folders:
            for name in storage.list_names(folder):
                path = storage.join(folder, name)
                if name.startswith(STAGING_PREFIX):
                    if storage.exists(storage.join(path, JOURNAL)):
                        publish(path)
                        done.append(f"finished the interrupted write {path}")
                    else:
                        storage.delete(path)
                        done.append(f"removed the unfinished write {path}")
                elif storage.is_dir(path) and not name.startswith(f"{PARTITION_COLUMN}="):
                    found.append(path)
        folders = found
    return done


def local_month_counts(table_path: str, months: list[date]) -> dict[date, int]:
    """Rows per month of a local table as its parquet footers give them (what Spark's count
    of the files reads too); months without rows are left out, as in a count by month."""
    if not Path(table_path).is_dir():
        return {}
    counts: dict[date, int] = {}
    for file in local_dataset(table_path).get_fragments(filter=in_months(months)):
        month = pyarrow.dataset.get_partition_keys(file.partition_expression)[PARTITION_COLUMN]
        counts[month] = counts.get(month, 0) + file.count_rows()
    return {month: rows for month, rows in counts.items() if rows}


def month_counts(
    spark: SparkSession, tables: dict[str, str], months: list[date] | None = None
) -> dict[str, dict[date, int]]:
    """Rows per month (all months, or the given ones) of each table or staging folder as
    stored, read back from the files: a local table's from its parquet footers, without a
    Spark job; tables at a URI all in one Spark job."""
    counts = {name: {} for name in tables}
    wanted = {name: months_present(path) if months is None else months for name, path in tables.items()}
    for name, path in tables.items():
        if not storage.is_uri(path):
            counts[name] = local_month_counts(path, wanted[name])
    frames = [
        frame.select(F.lit(name).alias("_table"), PARTITION_COLUMN)
        for name, path in tables.items()
        if storage.is_uri(path) and (frame := read_months(spark, path, wanted[name])) is not None
    ]
    if frames:
        for row in reduce(DataFrame.unionByName, frames).groupBy("_table", PARTITION_COLUMN).count().collect():
            counts[row["_table"]][row[PARTITION_COLUMN]] = row["count"]
    return counts


def stored_schema(partition: str) -> StructType | None:
    """The columns Spark wrote into a local partition's first file, from the file's footer
    (Spark keeps its own schema there); None when there is no such file or schema.

    Told the schema, a read starts no job: without it, Spark runs one Spark job per read to
    open that same footer: 28 of the 66 jobs of a run on small data."""
    if storage.is_uri(partition):
        return None
    files = sorted(Path(partition).glob("*.parquet"))
    if not files:
        return None
    written_by_spark = (pyarrow.parquet.read_schema(files[0]).metadata or {}).get(SPARK_SCHEMA_KEY)
    return StructType.fromJson(json.loads(written_by_spark)) if written_by_spark else None


def read_partitions(spark: SparkSession, table_path: str, paths: list[str]) -> DataFrame:
    """Month partitions of a table, told the schema stored in the first one when there is one."""
    reader = spark.read.option("basePath", table_path)
    schema = stored_schema(paths[0])
    return (reader.schema(schema) if schema else reader).parquet(*paths)


def read_months(spark: SparkSession, table_path: str, months: list[date]) -> DataFrame | None:
    """The table's rows for the given months, or None when it has none of them."""
    present = set(months_present(table_path))
    paths = [partition_path(table_path, month) for month in months if month in present]
    return read_partitions(spark, table_path, paths) if paths else None


def read_table(spark: SparkSession, table_path: str) -> DataFrame:
    """Every month of a table (Spark's own error when it has none)."""
    paths = [partition_path(table_path, month) for month in months_present(table_path)]
    return read_partitions(spark, table_path, paths) if paths else spark.read.parquet(table_path)


def local_dataset(table_path: str) -> pyarrow.dataset.Dataset:
    """A local table for pyarrow: `snapshot_date` from the folder names, as dates; hidden
    files and folders (_SUCCESS, .crc) left out, as Spark leaves them out."""
    months = pyarrow.dataset.partitioning(pa.schema([(PARTITION_COLUMN, pa.date32())]), flavor="hive")
    return pyarrow.dataset.dataset(table_path, format="parquet", partitioning=months)


def in_months(months: list[date]) -> pyarrow.dataset.Expression:
    """A pyarrow filter on a local table's month partitions."""
    return pyarrow.dataset.field(PARTITION_COLUMN).isin(months)


def read_local_table(table_path: str, where: pyarrow.dataset.Expression | None = None) -> pd.DataFrame:
    """Every month of a local table as pandas, read with pyarrow: no Spark job. Only the rows
    `where` holds, filtered before the conversion to pandas. `snapshot_date` comes as dates,
    as Spark's toPandas gives them."""
    return local_dataset(table_path).to_table(filter=where).to_pandas()


def distinct_values(spark: SparkSession, table_path: str, months: list[date], column: str) -> set:
    """The values one column takes in the given months (all present) of a table: a local
    table's read with pyarrow, that column alone and without a Spark job; at a URI, by Spark."""
    if storage.is_uri(table_path):
        return {row[column] for row in read_months(spark, table_path, months).select(column).distinct().collect()}
    return set(
        local_dataset(table_path).to_table(columns=[column], filter=in_months(months))[column].unique().to_pylist()
    )


def read_months_frame(spark: SparkSession, table_path: str, months: list[date]) -> pd.DataFrame:
    """The table's rows for the given months (all present) as pandas: a local table read with
    pyarrow, without a Spark job; a table at a URI (HDFS, object storage) by Spark."""
    if storage.is_uri(table_path):
        return read_months(spark, table_path, months).toPandas()
    return read_local_table(table_path, where=in_months(months))
