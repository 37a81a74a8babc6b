"""Bronze versions: what a new extract revised, the months it replaced, and bronze as known at an instant.

A month of bronze is one ingestion's rows. When a run brings different rows for a month
bronze holds, the rows it replaces move to `bronze/_history/<stem>/ingested_at=<time>/`
with `_replaced_at`; identical rows leave the month untouched, so reruns keep the datamart
and its history as they were. The history keeps no personal data: Name and SSN give way to
`_personal_data_variant`, which only tells rows sharing a key and month apart, as silver's
duplicate-key rules need. The version of a month valid at
an instant X is the one with `_ingested_at <= X < _replaced_at` (history) or
`_ingested_at <= X` (the current table).
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from utils.platform import storage
from utils.platform.partitions import months_present, read_months, write_months
from utils.sources.registry import PERSONAL_DATA, Source
from utils.tables import VERSION_PREFIX, bronze_history_path, bronze_table_path, bronze_version_path

REPLACED_AT = "_replaced_at"
INGESTED_AT = "_ingested_at"
PERSONAL_VARIANT = "_personal_data_variant"


def content_columns(source: Source) -> list[str]:
    """The columns that are the extract itself: raw values and the raw snapshot date, not
    when or from which path they were read."""
    return [column for column in source.columns if column != "snapshot_date"] + ["_snapshot_date_raw"]


def personal_columns(source: Source) -> list[str]:
    return [column for column in source.columns if column in PERSONAL_DATA]


def version_columns(source: Source) -> list[str]:
    """The content a stored copy keeps, current or superseded: personal data as its variant."""
    kept = [column for column in content_columns(source) if column not in PERSONAL_DATA]
    return kept + [PERSONAL_VARIANT] if personal_columns(source) else kept


def without_personal_data(frame: DataFrame, source: Source) -> DataFrame:
    """Name and SSN replaced by the rank of their values among the rows sharing the key and
    month (1 when they all agree): no value is kept, but silver can still tell copies of one
    row from conflicting rows (utils/silver/quality_rules.py, duplicate_key_conflicting)."""
    personal = personal_columns(source)
    if not personal:
        return frame
    same_key = Window.partitionBy("snapshot_date", *source.key).orderBy(*[F.col(c).asc_nulls_first() for c in personal])
    return frame.withColumn(PERSONAL_VARIANT, F.dense_rank().over(same_key)).drop(*personal)


def with_personal_placeholders(frame: DataFrame, source: Source) -> DataFrame:
    """Bronze's layout again for silver's rules: the variant as Name, SSN empty. Silver drops both."""
    personal = personal_columns(source)
    if not personal:
        return frame
    placeholders = {column: F.lit(None).cast("string") for column in personal}
    placeholders[personal[0]] = F.col(PERSONAL_VARIANT).cast("string")
    return frame.withColumns(placeholders).drop(PERSONAL_VARIANT)


def row_hash(columns: list[str]) -> Column:
    """A 64-bit hash of a row's values; a null hashes differently from any text."""
    return F.xxhash64(
        *[
            part
            for column in columns
            for part in (F.col(column).isNull(), F.coalesce(F.col(column).cast("string"), F.lit("")))
        ]
    )


@dataclass(frozen=True)
class MonthVersion:
    ingested_at: datetime
    fingerprint: str  # "<rows>:<sum of row hashes>": equal for the same rows in any order
    replaced_at: datetime | None = None  # set for a copy in the history


def as_utc(moment: datetime | None) -> datetime | None:
    """PySpark hands timestamps back as naive local times; make them comparable instants."""
    return moment.astimezone(UTC) if moment else None


def month_versions(frame: DataFrame, columns: list[str]) -> dict[date, MonthVersion]:
    """Per month, when its rows were ingested (and replaced, in the history) and an
    order-independent fingerprint of them."""
    replaced = F.max(REPLACED_AT) if REPLACED_AT in frame.columns else F.lit(None).cast("timestamp")
    rows = (
        frame.groupBy("snapshot_date")
        .agg(
            F.min(INGESTED_AT).alias("ingested_at"),
            replaced.alias("replaced_at"),
            F.count(F.lit(1)).alias("rows"),
            F.sum(row_hash(columns).cast("decimal(38,0)")).alias("hash_sum"),
        )
        .collect()
    )
    return {
        row["snapshot_date"]: MonthVersion(
            as_utc(row["ingested_at"]), f"{row['rows']}:{row['hash_sum']}", as_utc(row["replaced_at"])
        )
        for row in rows
    }


def revision_counts(old: DataFrame, new: DataFrame, source: Source) -> dict[date, dict[str, int]]:
    """Per month of `old`, keys (source.key) added, removed and changed in `new`. A key's rows
    are compared as a multiset, so a key that appears twice in a raw file is still one key."""
    keys = [*source.key, "snapshot_date"]
    hashed = row_hash(content_columns(source)).cast("decimal(38,0)")

    def per_key(frame: DataFrame, side: str) -> DataFrame:
        summary = frame.groupBy(*keys).agg(F.count(F.lit(1)).alias("rows"), F.sum(hashed).alias("hash_sum"))
        return summary.select(*keys, F.struct("rows", "hash_sum").alias(side))

    left, right = per_key(old, "old").alias("l"), per_key(new, "new").alias("r")
    joined = left.join(
        right, reduce(Column.__and__, [F.col(f"l.{k}").eqNullSafe(F.col(f"r.{k}")) for k in keys]), "full"
    )
    month = F.coalesce("l.snapshot_date", "r.snapshot_date").alias("snapshot_date")
    counts = (
        joined.groupBy(month)
        .agg(
            F.count_if(F.col("old").isNull()).alias("added"),
            F.count_if(F.col("new").isNull()).alias("removed"),
            F.count_if(F.col("old").isNotNull() & F.col("new").isNotNull() & (F.col("old") != F.col("new"))).alias(
                "changed"
            ),
        )
        .collect()
    )
    return {row["snapshot_date"]: {name: row[name] for name in ("added", "removed", "changed")} for row in counts}


def ingestion_second(now: datetime, last_run_finished: datetime | None) -> datetime:
    """The second a run's ingestion is dated by: now, but later than the second the
    datamart's last run finished in. A replaced month is kept under its ingestion's second
    (bronze/_history/<stem>/ingested_at=...), so two ingestions dated in one second would
    share that folder and the later copy would overwrite the earlier one."""
    second = now.replace(microsecond=0)
    if last_run_finished is None or second > last_run_finished.replace(microsecond=0):
        return second
    return last_run_finished.replace(microsecond=0) + timedelta(seconds=1)


def keep_replaced_months(
    datamart_dir: str, source: Source, current: DataFrame, months: dict[date, MonthVersion], replaced_at: datetime
) -> None:
    """Write the current rows of `months` into the history table of the ingestion each came
    from, before the new rows replace them; an earlier ingestion's table is never touched."""
    ingestions = sorted({version.ingested_at for version in months.values()})
    for ingested_at in ingestions:
        its_months = sorted(month for month, version in months.items() if version.ingested_at == ingested_at)
        rows = without_personal_data(current.where(F.col("snapshot_date").isin(its_months)), source).withColumn(
            REPLACED_AT, F.lit(replaced_at).cast("timestamp")
        )
        write_months(rows, bronze_version_path(datamart_dir, source, ingested_at), its_months, set(its_months))


def ingestions_in_history(datamart_dir: str, source: Source) -> list[str]:
    history = bronze_history_path(datamart_dir, source)
    return sorted(
        storage.join(history, name) for name in storage.list_names(history) if name.startswith(VERSION_PREFIX)
    )


Copies = dict[date, list[tuple[str, MonthVersion]]]  # per month, every stored copy: (table path, version)


def stored_copies(spark: SparkSession, datamart_dir: str, source: Source) -> Copies:
    """Every stored copy of every month of a source: the history tables and the current one."""
    found: Copies = {}
    for path in [*ingestions_in_history(datamart_dir, source), bronze_table_path(datamart_dir, source)]:
        frame = stored_rows(spark, path, source, months_present(path))
        for month, version in (month_versions(frame, version_columns(source)) if frame is not None else {}).items():
            found.setdefault(month, []).append((path, version))
    return found


def stored_rows(spark: SparkSession, path: str, source: Source, months: list[date]) -> DataFrame | None:
    """A copy's rows in the layout every copy shares: the current table's personal data as its variant."""
    frame = read_months(spark, path, months)
    if frame is None or REPLACED_AT in frame.columns:
        return frame
    return without_personal_data(frame, source)


def first_ingestion(copies: list[Copies]) -> datetime | None:
    return min((version.ingested_at for one in copies for kept in one.values() for _, version in kept), default=None)


def valid_at(kept: list[tuple[str, MonthVersion]], instant: datetime) -> tuple[str, MonthVersion] | None:
    """The copy valid at the instant. A history copy of the current ingestion (left by a run
    killed between keeping the old month and publishing the new one) holds the same rows."""
    valid = [
        (path, version)
        for path, version in kept
        if version.ingested_at <= instant and (version.replaced_at is None or instant < version.replaced_at)
    ]
    return max(valid, key=lambda one: (one[1].ingested_at, one[1].replaced_at is None), default=None)


def bronze_as_known_at(
    spark: SparkSession, source: Source, copies: Copies, instant: datetime
) -> tuple[DataFrame | None, dict[date, MonthVersion]]:
    """The source's bronze rows as they were at the instant (personal data as placeholders),
    and the version used per month. A month with no copy valid then did not exist yet."""
    chosen = {month: one for month, kept in sorted(copies.items()) if (one := valid_at(kept, instant))}
    frames = [
        stored_rows(spark, path, source, [month for month, (used, _) in chosen.items() if used == path]).drop(
            REPLACED_AT
        )
        for path in sorted({path for path, _ in chosen.values()})
    ]
    versions = {month: replace(version, replaced_at=None) for month, (_, version) in chosen.items()}
    bronze = with_personal_placeholders(reduce(DataFrame.unionByName, frames), source) if frames else None
    return bronze, versions
