"""Feature drift: the population stability index (PSI) of every gold feature per application month.

Each month's distribution of a feature is compared with a reference window: the first
REFERENCE_MONTHS application months with a full clickstream window (see reference_window).
The bins are the intervals between the feature's distinct reference deciles, a bin of its
own for each value holding a tenth or more of the reference (0 for a flag, 6 for a count of
months), and one bin for nulls (a feature that starts going missing drifts too), and

    PSI = sum over bins of (month share - reference share) * ln(month share / reference share)

with every share floored at EPSILON, so a bin empty on one side counts as a large shift
instead of a division by zero. Reading: below 0.1 stable, 0.1 to 0.25 a moderate shift,
above 0.25 a shift to investigate before trusting a model on that month.

All of it runs in Spark; only the per-month summary for the run record reaches the driver.
The table `gold/feature_drift` has one row per feature and application month.
"""

from datetime import date

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from utils import storage
from utils.clickstream_windows import WINDOW_MONTHS
from utils.errors import UserError
from utils.feature_store import FEATURES
from utils.gold import feature_store_path
from utils.months import add_months
from utils.partitions import months_present, read_months, write_months
from utils.silver import silver_table_path
from utils.sources import CLICKSTREAM

REFERENCE_MONTHS = 6
DECILES = [step / 10 for step in range(1, 10)]
# percentile_approx is exact while the reference has fewer rows than this.
QUANTILE_ACCURACY = 100_000
NULL_BIN = -1
EPSILON = 1e-4
MODERATE_PSI = 0.1
SIGNIFICANT_PSI = 0.25


def feature_drift_path(datamart_dir: str) -> str:
    return storage.join(datamart_dir, "gold", "feature_drift")


def drift_level(psi):
    """The rule-of-thumb reading of a PSI column: stable, moderate or significant."""
    return (F.when(psi >= SIGNIFICANT_PSI, "significant")
            .when(psi >= MODERATE_PSI, "moderate")
            .otherwise("stable"))


def feature_names(feature_store: DataFrame) -> list[str]:
    """The declared features present in the store, in declaration order (keys and lineage are not features)."""
    columns = set(feature_store.columns)
    return [feature.name for feature in FEATURES if feature.name in columns]


def reference_window(months: list[date], history_start: date, size: int = REFERENCE_MONTHS) -> list[date]:
    """The first `size` application months whose clickstream window (T-5 .. T) lies inside the data.

    Earlier months see a shorter history by construction (fewer months, null standard
    deviations); in the reference they would make every later month look drifted. When no
    month has a full window, the earliest months are the reference."""
    full_window_from = add_months(history_start, WINDOW_MONTHS - 1)
    complete = [month for month in sorted(months) if month >= full_window_from]
    return (complete or sorted(months))[:size]


def long_values(feature_store: DataFrame, features: list[str]) -> DataFrame:
    """One row per application and feature: snapshot_date, feature, value (as double)."""
    wide = feature_store.select("snapshot_date", *[F.col(name).cast("double").alias(name) for name in features])
    return wide.unpivot(["snapshot_date"], features, "feature", "value")


def bin_edges(reference_values: DataFrame) -> DataFrame:
    """Per feature, `edges`: its distinct reference deciles, ascending, and `points`: the deciles
    that repeat, i.e. values holding a tenth or more of the reference (0 for a rarely set flag).
    Both are empty when the reference has no value."""
    deciles = F.col("deciles")
    repeated = F.filter(deciles, lambda decile: F.size(F.filter(deciles, lambda other: other == decile)) > 1)
    no_values = F.array().cast("array<double>")
    return (reference_values.groupBy("feature")
            .agg(F.percentile_approx("value", DECILES, QUANTILE_ACCURACY).alias("deciles"))  # nulls are ignored
            .select("feature",
                    F.coalesce(F.array_sort(F.array_distinct(deciles)), no_values).alias("edges"),
                    F.coalesce(F.array_distinct(repeated), no_values).alias("points")))


def bin_counts(values: DataFrame, edges: DataFrame) -> DataFrame:
    """Rows per snapshot_date, feature and bin: a few thousand rows however big the store is.

    Bins: NULL_BIN for null; the intervals (-inf, e1], (e1, e2], ..., (ek, inf) between the
    edges; and a bin of its own for each point, so a count moving from 1 to 5 drifts even
    when the reference deciles are only 0 and 6. Bin 2i + 1 is the point e(i+1), bin 2i the
    rest of the interval ending there."""
    value = F.col("value")
    intervals_below = F.size(F.filter("edges", lambda edge: edge < value))
    is_point = F.array_contains("points", value).cast("int")
    binned = values.join(F.broadcast(edges), "feature").select(
        "snapshot_date", "feature",
        F.when(value.isNull(), F.lit(NULL_BIN)).otherwise(2 * intervals_below + is_point).alias("bin"))
    return binned.groupBy("snapshot_date", "feature", "bin").agg(F.count(F.lit(1)).alias("count"))


def population_stability(counts: DataFrame, reference_months: list[date]) -> DataFrame:
    """PSI per snapshot_date and feature from `counts` (snapshot_date, feature, bin, count).

    Every month is compared on every bin seen in any month, so a bin a month lacks
    (or the reference lacks) still contributes its EPSILON-floored term."""
    months = counts.select("snapshot_date").distinct()
    bins = counts.select("feature", "bin").distinct()
    reference = (counts.where(F.col("snapshot_date").isin(reference_months))
                 .groupBy("feature", "bin").agg(F.sum("count").alias("reference_count")))
    grid = (months.crossJoin(bins)
            .join(counts, ["snapshot_date", "feature", "bin"], "left")
            .join(reference, ["feature", "bin"], "left")
            .fillna(0, ["count", "reference_count"]))
    month_total = F.sum("count").over(Window.partitionBy("snapshot_date", "feature"))
    reference_total = F.sum("reference_count").over(Window.partitionBy("snapshot_date", "feature"))
    shares = grid.select(
        "snapshot_date", "feature", "count",
        F.greatest(F.col("count") / month_total, F.lit(EPSILON)).alias("actual"),
        F.greatest(F.col("reference_count") / reference_total, F.lit(EPSILON)).alias("expected"))
    psi_term = (F.col("actual") - F.col("expected")) * F.log(F.col("actual") / F.col("expected"))
    return (shares.groupBy("snapshot_date", "feature")
            .agg(F.sum(psi_term).alias("psi"), F.sum("count").alias("applications"))
            .select("feature", "psi", drift_level(F.col("psi")).alias("drift"), "applications",
                    F.col("snapshot_date").isin(reference_months).alias("in_reference"),
                    F.lit(min(reference_months)).alias("reference_start"),
                    F.lit(max(reference_months)).alias("reference_end"),
                    "snapshot_date"))


def feature_drift(feature_store: DataFrame, reference_months: list[date], features: list[str]) -> DataFrame:
    """The drift table: one row per feature and snapshot_date (the application month)."""
    values = long_values(feature_store, features)
    edges = bin_edges(values.where(F.col("snapshot_date").isin(reference_months)))
    return population_stability(bin_counts(values, edges), reference_months)


def summarise(per_month: list[dict], reference_months: list[date], features: int) -> dict:
    """The run record's view: per month the table rows, applications, largest PSI and drifting features."""
    return {
        "reference_start": min(reference_months), "reference_end": max(reference_months),
        "features": features,
        "psi_thresholds": {"moderate": MODERATE_PSI, "significant": SIGNIFICANT_PSI},
        "months": {row["snapshot_date"]: {key: row[key] for key in
                                          ("rows", "applications", "max_psi", "features_moderate", "features_significant")}
                   for row in sorted(per_month, key=lambda row: row["snapshot_date"])},
    }


def build_feature_drift(spark: SparkSession, datamart_dir: str, reference_months: int = REFERENCE_MONTHS) -> dict:
    """Rewrite gold/feature_drift for every month of gold/feature_store; returns the run-record summary.

    The whole table is rebuilt: it is a few thousand rows, and a new early month would move the reference."""
    store_path = feature_store_path(datamart_dir)
    months = months_present(store_path)
    if not months:
        raise UserError(f"{store_path} has no months yet; build the gold layer first (--layers gold).")
    history_start = min(months_present(silver_table_path(datamart_dir, CLICKSTREAM)), default=months[0])
    reference = reference_window(months, history_start, reference_months)
    store = read_months(spark, store_path, months)
    features = feature_names(store)
    drift = feature_drift(store, reference, features).persist()
    try:
        per_month = [row.asDict() for row in drift.groupBy("snapshot_date").agg(
            F.count(F.lit(1)).alias("rows"), F.max("applications").alias("applications"),
            F.round(F.max("psi"), 4).alias("max_psi"),
            F.sum((F.col("drift") == "moderate").cast("int")).alias("features_moderate"),
            F.sum((F.col("drift") == "significant").cast("int")).alias("features_significant")).collect()]
        path = feature_drift_path(datamart_dir)
        stale = set(months_present(path)) - set(months)  # months no longer in the feature store
        write_months(drift, path, sorted(set(months) | stale), set(months))
    finally:
        drift.unpersist()
    return summarise(per_month, reference, len(features))
