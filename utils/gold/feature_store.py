"""Gold feature store: one row per loan application, point in time.

For an application in month T (the loan's first snapshot, mob 0) every feature comes from
source rows dated on or before T: the loan as applied for, the latest attributes and
financials dated <= T, and the customer's clickstream history up to T, whole and in short
windows ending at T (utils/gold/clickstream_windows.py).
No statistic is fitted across rows: imputation and scaling belong to the model.
Lineage columns (prefixed `_`) say which source month each part came from, so the leakage
audit can check the point-in-time rule on the stored data itself.
"""

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from utils.gold.application_features import APPLICATION_FEATURES
from utils.gold.clickstream_windows import CLICKSTREAM_FEATURES, FIRST_MONTH, LAST_MONTH, clickstream_windows
from utils.gold.features import Feature
from utils.platform.expressions import once_per_jvm

KEYS = ("loan_id", "Customer_ID")
FEATURES: list[Feature] = APPLICATION_FEATURES + CLICKSTREAM_FEATURES
LINEAGE = {
    "_attributes_as_of": "snapshot_date of the attributes row used (<= the application month)",
    "_financials_as_of": "snapshot_date of the financials row used (<= the application month)",
    FIRST_MONTH: "earliest clickstream month used: the customer's first (<= the application month)",
    LAST_MONTH: "latest clickstream month used (<= the application month)",
}


def applications(loan_daily: DataFrame) -> DataFrame:
    """Each loan's first snapshot (mob 0): the application, dated at its month."""
    return loan_daily.where(F.col("mob") == 0).select(*KEYS, "loan_amt", "tenure", "snapshot_date")


def latest_as_of(apps: DataFrame, table: DataFrame, as_of_column: str) -> DataFrame:
    """Per application, the customer's latest row of `table` dated on or before the application month."""
    rows = table.withColumnRenamed("snapshot_date", as_of_column)
    candidates = (
        apps.select("loan_id", "Customer_ID", F.col("snapshot_date").alias("_application_month"))
        .join(rows, "Customer_ID")
        .where(F.col(as_of_column) <= F.col("_application_month"))
    )
    newest_first = Window.partitionBy("loan_id").orderBy(F.col(as_of_column).desc())
    return (
        candidates.withColumn("_rank", F.row_number().over(newest_first))
        .where(F.col("_rank") == 1)
        .drop("_rank", "_application_month", "Customer_ID")
    )


@once_per_jvm
def feature_columns() -> tuple[Column, ...]:
    """Every feature's expression under its name (built once: some 800 calls into the JVM)."""
    return tuple(feature.expression().alias(feature.name) for feature in FEATURES)


def build_feature_store(
    loan_daily: DataFrame, attributes: DataFrame, financials: DataFrame, clickstream: DataFrame
) -> DataFrame:
    """The feature rows for the applications in `loan_daily`; the other inputs may hold any
    history, the point-in-time rule is applied here."""
    apps = applications(loan_daily)
    joined = (
        apps.join(latest_as_of(apps, attributes, "_attributes_as_of"), "loan_id", "left")
        .join(latest_as_of(apps, financials, "_financials_as_of"), "loan_id", "left")
        .join(clickstream_windows(apps, clickstream), "loan_id", "left")
    )
    return joined.select(*KEYS, *feature_columns(), *LINEAGE, "snapshot_date")


def column_dictionary(feature_store: DataFrame) -> list[dict]:
    """Name, type, source and definition of every column, from the declarations and the schema."""
    types = dict(feature_store.dtypes)
    described = [
        {"name": "loan_id", "source": "loan_daily", "definition": "the loan applied for (key)"},
        {"name": "Customer_ID", "source": "loan_daily", "definition": "the applicant"},
        *[{"name": f.name, "source": f.source, "definition": f.definition} for f in FEATURES],
        *[{"name": name, "source": "lineage", "definition": text} for name, text in LINEAGE.items()],
        {"name": "snapshot_date", "source": "loan_daily", "definition": "the application month T (partition)"},
    ]
    return [
        {"name": row["name"], "type": types[row["name"]], "source": row["source"], "definition": row["definition"]}
        for row in described
    ]
