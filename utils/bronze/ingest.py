"""Bronze: the raw rows of each source, per month, exactly as in the file.

Each CSV is read once per run with an all-string schema (a second time only when it has
rejects). Rows are tagged with where they came from and when; rows that cannot be placed
in a month (a snapshot_date that is not a date, or a line with the wrong number of fields)
go to `bronze/_rejects/<source>/` with the reason, so nothing leaves the file unaccounted for.
"""

from dataclasses import dataclass
from datetime import date, datetime

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from utils.bronze.versions import content_columns, keep_replaced_months, month_versions, revision_counts
from utils.platform.partitions import commit_months, month_counts, read_months, stage_months, write_whole
from utils.sources.files import may_hold_quoted_fields
from utils.sources.months import is_first_of_month, parse_source_date
from utils.sources.registry import Source
from utils.tables import bronze_rejects_path, bronze_table_path

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
    return (
        spark.read.schema(raw_schema(source))
        .option("header", True)
        .option("multiLine", multi_line)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
        .option("escape", '"')
        .csv(path)
    )


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
    return (
        raw.withColumn(REJECT_REASON, reason)
        .withColumn("_snapshot_date_raw", raw_date)
        .withColumn("_source_file", F.lit(source_file))
        .withColumn("_ingested_at", F.lit(ingested_at).cast("timestamp"))
        .withColumn("snapshot_date", F.when(F.col(REJECT_REASON).isNull(), month))
    )


def accepted_rows(tagged: DataFrame, source: Source, start: date | None, end: date | None) -> DataFrame:
    """Rows of the months start to end (either open), in bronze's layout: raw columns, lineage, partition."""
    raw_columns = [column for column in source.columns if column != "snapshot_date"]
    wanted = F.col(REJECT_REASON).isNull()
    if start:
        wanted &= F.col("snapshot_date") >= F.lit(start)
    if end:
        wanted &= F.col("snapshot_date") <= F.lit(end)
    return tagged.where(wanted).select(*raw_columns, *METADATA_COLUMNS, "snapshot_date")


def rejected_rows(tagged: DataFrame, source: Source) -> DataFrame:
    raw_columns = [column for column in source.columns if column != "snapshot_date"]
    return tagged.where(F.col(REJECT_REASON).isNotNull()).select(
        *raw_columns,
        "_snapshot_date_raw",
        F.col(CORRUPT_RECORD).alias("_raw_line"),
        REJECT_REASON,
        "_source_file",
        "_ingested_at",
    )


def load_source(spark: SparkSession, path: str, source: Source, ingested_at: datetime) -> DataFrame:
    """The file's tagged rows (read when a write needs them).

    Only a quoted field can hold a line break, so a file without any double quote is read
    in parallel splits (the same rows, about twice as fast on two cores)."""
    raw = read_source_csv(spark, path, source, multi_line=may_hold_quoted_fields(path))
    return tag_rows(raw, path, ingested_at)


@dataclass(frozen=True)
class StagedBronze:
    """A source's rows for the run's months, written but not yet in the table."""

    staged: str  # the staging folder (utils/platform/partitions.py)
    rows_per_month: dict[date, int]  # as written, read back from the files
    first_month: date | None  # the file's first and last month with valid rows, in or out of the run's range
    last_month: date | None
    rejected: int  # rows of the whole file that cannot be placed in a month


def stage_bronze(
    spark: SparkSession, tagged: DataFrame, source: Source, table_path: str, start: date | None, end: date | None
) -> StagedBronze:
    """One pass over the file writes the rows of the months start to end to a staging folder,
    and notes on the way which months the file covers and how many rows it rejects."""
    seen = Observation()
    valid_month = F.when(F.col(REJECT_REASON).isNull(), F.col("snapshot_date"))
    observed = tagged.observe(
        seen,
        F.min(valid_month).alias("first_month"),
        F.max(valid_month).alias("last_month"),
        F.count_if(F.col(REJECT_REASON).isNotNull()).alias("rejected"),
    )
    staged = stage_months(accepted_rows(observed, source, start, end), table_path)
    return StagedBronze(
        staged,
        month_counts(spark, {"rows": staged})["rows"],
        seen.get["first_month"],
        seen.get["last_month"],
        seen.get["rejected"],
    )


@dataclass(frozen=True)
class Published:
    unchanged: list[date]  # months whose new rows equal bronze's: left as they were
    revisions: dict[date, dict[str, int]]  # months replaced with different rows: keys added, removed, changed


def publish_bronze(
    spark: SparkSession,
    tagged: DataFrame,
    source: Source,
    staged: StagedBronze,
    datamart_dir: str,
    months: list[date],
    ingested_at: datetime,
) -> Published:
    """Put the staged months in the table (removing requested months the file no longer has),
    and replace the file's rejects (the file is read again only when it has any).

    A month whose rows are the ones bronze holds is left untouched, ingestion time and all,
    so a rerun changes nothing. A month bronze holds that the file revised or dropped is
    first kept in bronze/_history (utils/bronze/versions.py); a kill between the two steps
    leaves a copy there of rows bronze still holds, which the next run writes again."""
    table_path = bronze_table_path(datamart_dir, source)
    columns = content_columns(source)
    current = read_months(spark, table_path, months)
    held = month_versions(current, columns) if current is not None else {}
    new_rows = read_months(spark, staged.staged, sorted(staged.rows_per_month))
    # Only a month bronze already holds can be unchanged: the others need no fingerprint.
    comparable = new_rows.where(F.col("snapshot_date").isin(sorted(held))) if held and new_rows is not None else None
    new = month_versions(comparable, columns) if comparable is not None else {}
    unchanged = sorted(
        month for month, version in held.items() if month in new and new[month].fingerprint == version.fingerprint
    )
    replaced = {month: version for month, version in held.items() if month not in unchanged}
    revisions = {}
    if replaced:
        in_replaced = F.col("snapshot_date").isin(sorted(replaced))
        old_rows = current.where(in_replaced)
        new_of_those = new_rows.where(in_replaced) if new_rows is not None else old_rows.limit(0)
        revisions = revision_counts(old_rows, new_of_those, source)
        keep_replaced_months(datamart_dir, source, current, replaced, ingested_at)
    commit_months(
        staged.staged,
        table_path,
        [month for month in months if month not in unchanged],
        set(staged.rows_per_month) - set(unchanged),
    )
    write_whole(
        rejected_rows(tagged, source).coalesce(1) if staged.rejected else None,
        bronze_rejects_path(datamart_dir, source),
    )
    return Published(unchanged, dict(sorted(revisions.items())))
