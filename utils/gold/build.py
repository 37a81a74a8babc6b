"""Gold: the label store and the point-in-time feature store, per month.

Gold for month T reads the silver history it needs even when only T is requested: labels
need the loan snapshots of T; features need T's applications and the attributes,
financials and clickstream of every month up to T. When silver lacks a month of that
history that bronze has, the run stops and says which months to build first.
"""

import csv
import io
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from utils.gold.feature_store import build_feature_store, column_dictionary
from utils.gold.label_store import LabelDefinition, build_labels
from utils.gold.reconciliation import (
    FEATURE_STORE,
    LABEL_STORE,
    account,
    loans_in_silver,
    unexplained_message,
    with_explanation,
)
from utils.platform import storage
from utils.platform.errors import DataContractError, UserError
from utils.platform.partitions import distinct_values, months_present, read_months, read_table, write_months
from utils.sources.registry import ATTRIBUTES, CLICKSTREAM, FINANCIALS, LOAN_DAILY, Source
from utils.tables import (
    bronze_table_path,
    dictionary_path,
    feature_store_path,
    held_back_path,
    label_store_path,
    silver_table_path,
)


def read_history(spark: SparkSession, datamart_dir: str, source: Source, months: list[date]) -> DataFrame | None:
    """The silver rows gold needs from a source, after checking none of that history is missing."""
    in_bronze = set(months_present(bronze_table_path(datamart_dir, source)))
    in_silver = set(months_present(silver_table_path(datamart_dir, source)))
    if source is LOAN_DAILY:
        needed = months
    else:  # attributes, financials and the clickstream history: any month up to the last one built
        needed = sorted(month for month in in_bronze | in_silver if month <= max(months))
    missing = sorted(month for month in needed if month in in_bronze and month not in in_silver)
    if missing:
        raise UserError(
            f"gold for {months[0]} to {months[-1]} needs silver/{source.silver_table} for {', '.join(m.isoformat() for m in missing)}, "
            f"which is not built; build it first with --start {missing[0]} --end {missing[-1]} --layers silver."
        )
    return read_months(spark, silver_table_path(datamart_dir, source), needed)


def loan_history(spark: SparkSession, datamart_dir: str, months: list[date]) -> DataFrame:
    """Silver loan snapshots of the months: both gold tables start from them."""
    loans = read_history(spark, datamart_dir, LOAN_DAILY, months)
    if loans is None:
        raise UserError(
            f"silver/loan_daily has none of the months {months[0]} to {months[-1]}; run the silver layer first."
        )
    return loans


def every_silver_loan(spark: SparkSession, datamart_dir: str) -> DataFrame:
    """One row per loan over every silver month (utils/gold/reconciliation.py): later snapshots
    find a loan whose first one never reached silver. Built once per gold run and given to
    both stores' accounting."""
    path = silver_table_path(datamart_dir, LOAN_DAILY)
    snapshots = read_months(spark, path, months_present(path))
    return loans_in_silver(snapshots.select("loan_id", "Customer_ID", "loan_start_date", "snapshot_date", "mob"))


def account_for_loans(
    datamart_dir: str, months: list[date], loans: DataFrame, store_name: str, stored: DataFrame, label_mob: int
) -> dict[date, dict]:
    """Per month: loans expected in the store = stored rows + held back; held-back loans are
    written to gold/_held_back/<store>. An unexplained difference fails the run, naming the loans.
    `loans` is every_silver_loan's summary."""
    accounted = account(loans, stored.select("loan_id", "snapshot_date"), store_name, label_mob)
    accounted = accounted.where(F.col("snapshot_date").isin(months)).persist()
    try:
        counts = accounted.groupBy("snapshot_date", "status", "reason").count().collect()
        if any(row["status"] == "unexplained" for row in counts):
            lost = accounted.where(F.col("status") == "unexplained").select("loan_id").distinct().collect()
            raise DataContractError(unexplained_message(store_name, sorted(row["loan_id"] for row in lost)))
        held = with_explanation(accounted.where(F.col("status") == "held_back").drop("status"))
        by_reason: dict[date, dict[str, int]] = {}
        for row in counts:
            if row["status"] == "held_back":
                by_reason.setdefault(row["snapshot_date"], {})[row["reason"]] = row["count"]
        write_months(held, held_back_path(datamart_dir, store_name), months, set(by_reason))
    finally:
        accounted.unpersist()
    return {
        month: {
            "expected": sum(row["count"] for row in counts if row["snapshot_date"] == month),
            "held_back": sum(by_reason.get(month, {}).values()),
            "held_back_by_reason": dict(sorted(by_reason.get(month, {}).items())),
        }
        for month in months
    }


def empty_like(spark: SparkSession, datamart_dir: str, source: Source) -> DataFrame:
    """No rows, the table's schema: a customer may have no history at all."""
    return read_table(spark, silver_table_path(datamart_dir, source)).limit(0)


def write_dictionary(datamart_dir: str, features: DataFrame) -> None:
    rows = column_dictionary(features)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=["name", "type", "source", "definition"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    storage.write_text(dictionary_path(datamart_dir), text.getvalue())


def require_one_label_definition(
    spark: SparkSession, datamart_dir: str, months: list[date], definition: LabelDefinition
) -> None:
    """A label store never mixes definitions: the months not rebuilt must already use this one."""
    path = label_store_path(datamart_dir)
    kept = [month for month in months_present(path) if month not in months]
    if not kept:
        return
    others = sorted(name for name in distinct_values(spark, path, kept, "label_def") if name != definition.name)
    if others:
        raise UserError(
            f"gold/label_store holds labels defined as {', '.join(others)} for months this run does not rebuild; "
            f"run all months (no --start/--end) to change the definition to {definition.name}."
        )


def build_label_table(
    spark: SparkSession, datamart_dir: str, months: list[date], definition: LabelDefinition, silver_loans: DataFrame
) -> dict:
    require_one_label_definition(spark, datamart_dir, months, definition)
    loans = loan_history(spark, datamart_dir, months)
    labels = build_labels(loans, definition).persist()
    try:
        per_month = {
            row["snapshot_date"]: {"rows": row["rows"], "bad": row["bad"], "unknown": row["unknown"]}
            for row in labels.groupBy("snapshot_date")
            .agg(
                F.count(F.lit(1)).alias("rows"),
                F.sum("label").alias("bad"),
                F.sum(F.col("label").isNull().cast("int")).alias("unknown"),
            )
            .collect()
        }
        accounted = account_for_loans(datamart_dir, months, silver_loans, LABEL_STORE, labels, definition.mob)
        write_months(labels, label_store_path(datamart_dir), months, set(per_month))
    finally:
        labels.unpersist()
    return {
        "label_def": definition.name,
        "months": {
            month: {"rows": 0, "bad": 0, "unknown": 0, **per_month.get(month, {}), **accounted[month]}
            for month in months
        },
    }


def build_feature_table(spark: SparkSession, datamart_dir: str, months: list[date], silver_loans: DataFrame) -> dict:
    loans = loan_history(spark, datamart_dir, months)
    inputs = []
    for source in (ATTRIBUTES, FINANCIALS, CLICKSTREAM):
        history = read_history(spark, datamart_dir, source, months)
        inputs.append(history if history is not None else empty_like(spark, datamart_dir, source))
    features = build_feature_store(loans, *inputs).persist()
    try:
        per_month = {row["snapshot_date"]: row["count"] for row in features.groupBy("snapshot_date").count().collect()}
        accounted = account_for_loans(datamart_dir, months, silver_loans, FEATURE_STORE, features, 0)
        write_months(features, feature_store_path(datamart_dir), months, set(per_month))
        write_dictionary(datamart_dir, features)
    finally:
        features.unpersist()
    return {
        "columns": len(features.columns),
        "months": {month: {"rows": per_month.get(month, 0), **accounted[month]} for month in months},
    }
