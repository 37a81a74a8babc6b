"""Bronze: the raw rows of each source, per month, exactly as in the file.

Each CSV is read once per run with an all-string schema. Rows are tagged with where they
came from and when; rows that cannot be placed in a month (a snapshot_date that is not a
date, or a line with the wrong number of fields) go to `bronze/_rejects/<source>/` with
the reason, so nothing leaves the file unaccounted for.
"""

from datetime import date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from utils.months import is_first_of_month, parse_source_date
from utils.partitions import write_months, write_whole
from utils.source_files import may_hold_quoted_fields
from utils.sources import Source

CORRUPT_RECORD = "_corrupt_record"
REJECT_REASON = "_reject_reason"
METADATA_COLUMNS = ("_snapshot_date_raw", "_source_file", "_ingested_at")


def raw_schema(source: Source) -> StructType:
    fields = [StructField(column, StringType()) for column in source.columns]
    return StructType(fields + [StructField(CORRUPT_RECORD, StringType())])


def read_source_csv(spark: SparkSession, path: str, source: Source, multi_line: bool = True) -> DataFrame:
    """The file as strings. Quotes follow RFC 4180 (`""` inside a quoted field); a quoted
    field may hold commas and line breaks (multi_line), and lines may end in CRLF. Reading
    for line breaks inside fields reads a file in one piece, on one core; without it Spark
    splits the file and reads the parts in parallel."""
    return (spark.read
            .schema(raw_schema(source))
            .option("header", True)
            .option("multiLine", multi_line)
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
            .option("escape", '"')
            .csv(path))


def tag_rows(raw: DataFrame, source_file: str, ingested_at: datetime) -> DataFrame:
    """Adds the month each row belongs to, why it is rejected (if it is), and lineage."""
    raw_date = F.col("snapshot_date")
    month = parse_source_date(raw_date)
    reason = (
        F.when(F.col(CORRUPT_RECORD).isNotNull(), F.lit("wrong number of fields"))
        .when(raw_date.isNull() | (F.trim(raw_date) == ""), F.lit("snapshot_date is empty"))
        .when(month.isNull(), F.lit("snapshot_date is not a date in YYYY-MM-DD, M/D/YYYY or M/D/YY"))
        .when(~is_first_of_month(month), F.lit("snapshot_date is not the first of a month"))
    )
    return (raw
            .withColumn(REJECT_REASON, reason)
            .withColumn("_snapshot_date_raw", raw_date)
            .withColumn("_source_file", F.lit(source_file))
            .withColumn("_ingested_at", F.lit(ingested_at).cast("timestamp"))
            .withColumn("snapshot_date", F.when(F.col(REJECT_REASON).isNull(), month)))


def accepted_rows(tagged: DataFrame, source: Source, months: list[date]) -> DataFrame:
    """Rows for the requested months, in bronze's layout: raw columns, lineage, partition."""
    raw_columns = [column for column in source.columns if column != "snapshot_date"]
    return (tagged
            .where(F.col(REJECT_REASON).isNull() & F.col("snapshot_date").isin(months))
            .select(*raw_columns, *METADATA_COLUMNS, "snapshot_date"))


def rejected_rows(tagged: DataFrame, source: Source) -> DataFrame:
    raw_columns = [column for column in source.columns if column != "snapshot_date"]
    return (tagged
            .where(F.col(REJECT_REASON).isNotNull())
            .select(*raw_columns, "_snapshot_date_raw", F.col(CORRUPT_RECORD).alias("_raw_line"),
                    REJECT_REASON, "_source_file", "_ingested_at"))


def load_source(spark: SparkSession, path: str, source: Source, ingested_at: datetime) -> DataFrame:
    """Read a source file once and keep its tagged rows for the writes that follow.

    Only a quoted field can hold a line break, so a file without any double quote is read
    in parallel splits (the same rows, about twice as fast on two cores)."""
    raw = read_source_csv(spark, path, source, multi_line=may_hold_quoted_fields(path))
    return tag_rows(raw, path, ingested_at).persist()


def rows_per_month(tagged: DataFrame) -> dict[date | None, int]:
    """Rows per snapshot month; rejected rows are counted under None."""
    return {row["snapshot_date"]: row["count"] for row in tagged.groupBy("snapshot_date").count().collect()}


def write_bronze(tagged: DataFrame, source: Source, table_path: str, rejects_path: str,
                 months: list[date], counts: dict[date | None, int]) -> None:
    """Write the requested months, and the file's rejects (replacing the previous ones)."""
    months_with_rows = {month for month in months if counts.get(month)}
    write_months(accepted_rows(tagged, source, months), table_path, months, months_with_rows)
    write_whole(rejected_rows(tagged, source).coalesce(1) if counts.get(None) else None, rejects_path)
