"""Clickstream features over windows that end at the application month.

For an application in month T, only clickstream rows dated T-5 .. T are used: the latest
value, the means over 3 and 6 months, the 6-month standard deviation, how many of those
months had data, and a flag when none did. Rows after T are the future and are never read.
"""

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from utils.gold.features import Feature

WINDOW_MONTHS = 6
SHORT_WINDOW_MONTHS = 3
CLICK_COLUMNS = tuple(f"fe_{i}" for i in range(1, 21))
LAST_MONTH = "_clickstream_last_month"  # lineage: the latest clickstream month an application used


def _features_for(column: str) -> list[Feature]:
    return [
        Feature(
            f"{column}_last",
            "clickstream",
            (column,),
            f"{column} in the latest month with data, T-5 .. T",
            lambda: F.col(f"{column}_last"),
        ),
        Feature(
            f"{column}_mean_3m",
            "clickstream",
            (column,),
            f"mean of {column} over the months with data in T-2 .. T",
            lambda: F.col(f"{column}_mean_3m"),
        ),
        Feature(
            f"{column}_mean_6m",
            "clickstream",
            (column,),
            f"mean of {column} over the months with data in T-5 .. T",
            lambda: F.col(f"{column}_mean_6m"),
        ),
        Feature(
            f"{column}_std_6m",
            "clickstream",
            (column,),
            f"sample standard deviation of {column} over T-5 .. T (null with fewer than 2 months)",
            lambda: F.col(f"{column}_std_6m"),
        ),
    ]


CLICKSTREAM_FEATURES: list[Feature] = [
    *[feature for column in CLICK_COLUMNS for feature in _features_for(column)],
    Feature(
        "click_months_6m",
        "clickstream",
        ("snapshot_date",),
        "number of months with clickstream data in T-5 .. T (0 to 6)",
        lambda: F.coalesce(F.col("click_months_6m"), F.lit(0)),
    ),
    Feature(
        "click_history_missing",
        "clickstream",
        ("snapshot_date",),
        "1 if the customer has no clickstream data in T-5 .. T, else 0",
        lambda: (F.coalesce(F.col("click_months_6m"), F.lit(0)) == 0).cast("int"),
    ),
]


def exact_sample_std(values: Column) -> Column:
    """Sample standard deviation from exact integer sums.

    Spark's stddev_samp merges partial results in whatever order the rows arrive, so the
    last bits of the result depend on partitioning; the same application would get a
    different value in an incremental run than in a full one. Integer sums are exact in
    any order, so this value is byte-for-byte reproducible."""
    as_long = values.cast("long")
    count, total, squares = F.count(as_long), F.sum(as_long), F.sum(as_long * as_long)
    return F.when(count >= 2, F.sqrt((count * squares - total * total) / (count * (count - 1))))


def clickstream_windows(applications: DataFrame, clickstream: DataFrame) -> DataFrame:
    """Per application (loan_id), the window aggregates; applications without data are absent.

    `applications` has loan_id, Customer_ID and snapshot_date (the application month T);
    `clickstream` is silver clickstream. The join keeps only rows with T-5 <= month <= T."""
    apps = applications.select("loan_id", "Customer_ID", F.col("snapshot_date").alias("_application_month"))
    clicks = clickstream.select("Customer_ID", F.col("snapshot_date").alias("_click_month"), *CLICK_COLUMNS)
    in_window = (F.col("_click_month") <= F.col("_application_month")) & (
        F.col("_click_month") > F.add_months(F.col("_application_month"), -WINDOW_MONTHS)
    )
    joined = apps.join(clicks, "Customer_ID").where(in_window)
    recent = F.col("_click_month") > F.add_months(F.col("_application_month"), -SHORT_WINDOW_MONTHS)
    aggregates = []
    for column in CLICK_COLUMNS:
        aggregates += [
            F.max_by(column, "_click_month").alias(f"{column}_last"),
            F.avg(F.when(recent, F.col(column))).alias(f"{column}_mean_3m"),
            F.avg(column).alias(f"{column}_mean_6m"),
            exact_sample_std(F.col(column)).alias(f"{column}_std_6m"),
        ]
    return joined.groupBy("loan_id").agg(
        *aggregates,
        F.count(F.lit(1)).alias("click_months_6m"),
        F.max("_click_month").alias(LAST_MONTH),
    )
