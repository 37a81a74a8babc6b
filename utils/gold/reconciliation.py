"""Gold reconciliation: every loan in silver is in a gold store or held back with a named reason.

Silver proves bronze = silver + quarantine per month; gold proves, per application month,
loans in silver = applications in the feature store + loans held back, and per label month,
loans that reached the label's months on book = labels + loans held back. Held-back loans
are kept in gold/_held_back with their reason, as silver's quarantine keeps its rows. A
loan that is in neither, or in a store without being expected there, is an unexplained
difference: the run fails and names it.

A loan's application month is its loan_start_date (silver derives it from installment_num
where the date is unreadable). Gold reads every silver loan month for this, so a loan whose
first snapshot never reached silver is still found through its later snapshots.
"""

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

HELD_BACK_REASONS = {
    "first_snapshot_missing": "the loan's first snapshot (months on book 0) is not in silver: rejected in "
    "bronze, quarantined in silver, or never sent; without it the application cannot be dated point in time",
    "months_on_book_unknown": "neither installment_num nor loan_start_date is readable on any snapshot of "
    "the loan, so its application month is unknown (counted in the month it was first seen)",
    "label_snapshot_missing": "later snapshots show the loan passed the label's months on book, but the "
    "snapshot at exactly that month is not in silver",
}
FEATURE_STORE, LABEL_STORE = "feature_store", "label_store"
SHOWN_LOANS = 10  # loans named in an error


def loans_in_silver(loan_daily: DataFrame) -> DataFrame:
    """One row per loan in silver: the month it is accounted in (its application month, or the
    month it was first seen when that is unknown), whether it has a snapshot at months on
    book 0, and the largest months on book seen."""
    return loan_daily.groupBy("loan_id").agg(
        F.min("Customer_ID").alias("Customer_ID"),
        F.min(F.trunc("loan_start_date", "month")).alias("application_month"),
        F.min("snapshot_date").alias("first_seen"),
        F.max((F.col("mob") == 0).cast("int")).alias("has_first_snapshot"),
        F.max("mob").alias("max_mob"),
    )


def expected_in_store(loans: DataFrame, store_name: str, label_mob: int) -> DataFrame:
    """The loans that belong in the store, with the month each belongs to: every loan, at its
    application month (or where it was first seen, when that is unknown), in the feature
    store; the loans that reached `label_mob` months on book, at the label month, in the
    label store."""
    if store_name == FEATURE_STORE:
        return loans.withColumn("snapshot_date", F.coalesce("application_month", "first_seen"))
    reached = loans.where((F.col("max_mob") >= label_mob) & F.col("application_month").isNotNull())
    return reached.withColumn("snapshot_date", F.add_months("application_month", label_mob))


def held_back_reason(store_name: str, label_mob: int) -> Column:
    """Why an expected loan has no row in the store; null when the data gives no reason."""
    if store_name == FEATURE_STORE:
        return F.when(F.col("application_month").isNull(), F.lit("months_on_book_unknown")).when(
            F.col("has_first_snapshot") == 0, F.lit("first_snapshot_missing")
        )
    return F.when(F.col("max_mob") > label_mob, F.lit("label_snapshot_missing"))


def account(loans: DataFrame, stored: DataFrame, store_name: str, label_mob: int) -> DataFrame:
    """Every expected loan and every stored row, once, with its status: `stored`, `held_back`
    (with its reason) or `unexplained` (expected without a reason, or stored in a month
    silver does not date the loan to). `stored` holds the store's loan_id and snapshot_date."""
    expected = expected_in_store(loans, store_name, label_mob).withColumn("_expected", F.lit(True))
    rows = stored.select("loan_id", "snapshot_date", F.lit(True).alias("_stored"))
    both = expected.join(rows, ["loan_id", "snapshot_date"], "full_outer")
    reason = F.when(F.col("_stored").isNull(), held_back_reason(store_name, label_mob))
    status = (
        F.when(F.col("_expected") & F.col("_stored"), F.lit("stored"))
        .when(F.col("_expected") & reason.isNotNull(), F.lit("held_back"))
        .otherwise(F.lit("unexplained"))
    )
    return both.select(
        "loan_id",
        "Customer_ID",
        F.lit(store_name).alias("store"),
        status.alias("status"),
        reason.alias("reason"),
        "snapshot_date",
    )


def with_explanation(held: DataFrame) -> DataFrame:
    """Each held-back row with its reason in words, for whoever opens gold/_held_back."""
    texts = F.create_map(*[F.lit(part) for pair in HELD_BACK_REASONS.items() for part in pair])
    return held.withColumn("explanation", F.element_at(texts, F.col("reason")))


def unexplained_message(store_name: str, loans: list[str]) -> str:
    shown = ", ".join(loans[:SHOWN_LOANS]) + (
        f" and {len(loans) - SHOWN_LOANS} more" if len(loans) > SHOWN_LOANS else ""
    )
    return (
        f"gold/{store_name}: {len(loans)} loan(s) in silver neither in the store nor held back with a reason, or in "
        f"the store for a month silver does not date them to: {shown}; their silver rows disagree with each "
        "other (check loan_start_date and installment_num), rerun and report it if it persists."
    )
