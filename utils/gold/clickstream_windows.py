"""Clickstream features over windows that end at the application month T.

A customer's clickstream is a stable personal level seen through heavy month-to-month
noise, so every month of history before T sharpens the estimate of that level: the main
window is the customer's whole history up to T (from their first clickstream month). The
short windows (the latest month, and the last few months) are declared beside it, and
the sanity check's ablation shows what each adds. Rows after T are the future and never
read.

Every aggregate is computed from exact integer sums (count, sum, sum of squares, sum of
month index times value): the values are integers, so the sums are exact in any order and
a feature is byte-for-byte the same whether the month is built alone or in a full rebuild.
"""

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from utils.gold.features import Feature
from utils.platform.expressions import once_per_jvm

CLICK_COLUMNS = tuple(f"fe_{i}" for i in range(1, 21))
FIRST_MONTH = "_clickstream_first_month"  # lineage: the earliest clickstream month an application used
LAST_MONTH = "_clickstream_last_month"  # lineage: the latest clickstream month an application used


@dataclass(frozen=True)
class ClickWindow:
    """The months T-(months-1) .. T, or the whole history up to T when months is None."""

    name: str  # column suffix: fe_1_mean_6m
    months: int | None
    aggregates: tuple[str, ...]  # keys of AGGREGATE_DEFINITIONS

    @property
    def span(self) -> str:
        return "all months up to T" if self.months is None else f"T-{self.months - 1} .. T"


# The windows, in one place. Over the whole history: the customer's level (mean), how much
# it varies from month to month (std) and whether it moves (slope per month). The last three
# months' mean and the latest month show a recent change of level that the whole history
# averages away. Measured on the default data and left out (docs/DESIGN.md, "Clickstream
# features"): min and max over the history, and 6- and 12-month means, which added nothing
# out of time to the windows kept.
WINDOWS: tuple[ClickWindow, ...] = (
    ClickWindow("all", None, ("mean", "std", "slope")),
    ClickWindow("3m", 3, ("mean",)),
)
LATEST = "latest"  # the latest month with data: a window of one month, by its own name

AGGREGATE_DEFINITIONS = {
    "mean": "mean of {column} over the months with data in {span}",
    "std": "sample standard deviation of {column} over {span} (null with fewer than 2 months)",
    "slope": "least-squares slope of {column} per month over {span} (null with fewer than 2 months)",
}


def column_name(column: str, aggregate: str, window: ClickWindow) -> str:
    return f"{column}_{aggregate}_{window.name}"


def _stored(name: str, column: str, definition: str, group: str) -> Feature:
    """A feature that is one aggregate column of clickstream_windows, as computed."""
    return Feature(name, "clickstream", (column,), definition, lambda: F.col(name), group)


def _window_features(window: ClickWindow) -> list[Feature]:
    return [
        _stored(
            column_name(column, aggregate, window),
            column,
            AGGREGATE_DEFINITIONS[aggregate].format(column=column, span=window.span),
            f"clickstream_{window.name}",
        )
        for column in CLICK_COLUMNS
        for aggregate in window.aggregates
    ]


def _latest_features() -> list[Feature]:
    return [
        _stored(
            f"{column}_{LATEST}", column, f"{column} in the latest month with data up to T", f"clickstream_{LATEST}"
        )
        for column in CLICK_COLUMNS
    ]


HISTORY_GROUP = f"clickstream_{WINDOWS[0].name}"
CLICKSTREAM_FEATURES: list[Feature] = [
    *[feature for window in WINDOWS for feature in _window_features(window)],
    *_latest_features(),
    Feature(
        "click_months_with_data",
        "clickstream",
        ("snapshot_date",),
        "number of months with clickstream data up to T (0 when none)",
        lambda: F.coalesce(F.col("click_months_with_data"), F.lit(0)),
        HISTORY_GROUP,
    ),
    Feature(
        "click_months_since_first",
        "clickstream",
        ("snapshot_date",),
        "months from the customer's first clickstream month to T (0: it is T; null when none)",
        lambda: F.col("click_months_since_first"),
        HISTORY_GROUP,
    ),
    Feature(
        "click_history_missing",
        "clickstream",
        ("snapshot_date",),
        "1 if the customer has no clickstream data up to T, else 0",
        lambda: F.col("click_months_with_data").isNull().cast("int"),
        HISTORY_GROUP,
    ),
]


# ---- exact aggregates --------------------------------------------------------------------------------


def _in(window: ClickWindow, value: Column) -> Column:
    """`value` on the rows inside the window, null outside it (aggregates skip nulls)."""
    if window.months is None:
        return value
    return F.when(F.col("_months_back") < window.months, value)


def exact_mean(values: Column) -> Column:
    return F.sum(values) / F.count(values)


def exact_sample_std(values: Column) -> Column:
    """Sample standard deviation from exact integer sums.

    Spark's stddev_samp merges partial results in whatever order the rows arrive, so the
    last bits of the result depend on partitioning; integer sums are exact in any order."""
    count, total, squares = F.count(values), F.sum(values), F.sum(values * values)
    return F.when(count >= 2, F.sqrt((count * squares - total * total) / (count * (count - 1))))


def exact_slope(values: Column, month_index: Column) -> Column:
    """Least-squares slope per month, (n Σtx - Σt Σx) / (n Σt² - (Σt)²), from integer sums."""
    months = F.when(values.isNotNull(), month_index)
    count = F.count(values)
    numerator = count * F.sum(months * values) - F.sum(months) * F.sum(values)
    denominator = count * F.sum(months * months) - F.sum(months) * F.sum(months)
    return F.when(denominator > 0, numerator / denominator)


def _aggregate(aggregate: str, values: Column) -> Column:
    month_index = -F.col("_months_back")  # T is 0, the month before -1, ...
    return {
        "mean": lambda: exact_mean(values),
        "std": lambda: exact_sample_std(values),
        "slope": lambda: exact_slope(values, month_index),
    }[aggregate]()


@once_per_jvm
def window_aggregates() -> tuple[Column, ...]:
    columns = []
    for window in WINDOWS:
        for column in CLICK_COLUMNS:
            values = _in(window, F.col(column).cast("long"))
            columns += [
                _aggregate(aggregate, values).alias(column_name(column, aggregate, window))
                for aggregate in window.aggregates
            ]
    columns += [F.max_by(column, "_click_month").alias(f"{column}_{LATEST}") for column in CLICK_COLUMNS]
    return tuple(columns)


def clickstream_windows(applications: DataFrame, clickstream: DataFrame) -> DataFrame:
    """Per application (loan_id), the window aggregates; applications without data are absent.

    `applications` has loan_id, Customer_ID and snapshot_date (the application month T);
    `clickstream` is silver clickstream, any history. The join keeps only rows dated <= T."""
    apps = applications.select("loan_id", "Customer_ID", F.col("snapshot_date").alias("_application_month"))
    clicks = clickstream.select("Customer_ID", F.col("snapshot_date").alias("_click_month"), *CLICK_COLUMNS)
    history = (
        apps.join(clicks, "Customer_ID")
        .where(F.col("_click_month") <= F.col("_application_month"))
        .withColumn("_months_back", F.months_between("_application_month", "_click_month").cast("long"))
    )
    return history.groupBy("loan_id").agg(
        *window_aggregates(),
        F.count(F.lit(1)).alias("click_months_with_data"),
        F.max("_months_back").alias("click_months_since_first"),
        F.min("_click_month").alias(FIRST_MONTH),
        F.max("_click_month").alias(LAST_MONTH),
    )
