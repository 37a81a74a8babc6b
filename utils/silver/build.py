"""Silver: typed, cleaned, conformed tables, one per source.

Quality rules (utils/silver/quality_rules.py) decide what is nulled, repaired, quarantined or
fatal; this module adds what each table derives (dpd for loans, months of credit history
and loan-type counts for financials), removes personal data, writes the month partitions
and proves per month that bronze rows = silver rows + quarantined rows.
"""

from datetime import date

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from utils.platform.errors import DataContractError, UserError
from utils.platform.expressions import once_per_jvm
from utils.platform.partitions import month_counts, read_months, write_months
from utils.silver.days_past_due import add_delinquency_columns
from utils.silver.quality_rules import RULES, SILVER_TYPES, Action
from utils.silver.rule_engine import (
    QUARANTINE_RULE,
    clean_values,
    drop_hit_columns,
    flag_quarantine,
    hit_counts_by_month,
)
from utils.silver.value_parsers import loan_type_counts, loan_type_list
from utils.sources.registry import FINANCIALS, LOAN_DAILY, PERSONAL_DATA, Source
from utils.tables import bronze_table_path, quarantine_table_path, silver_table_path


@once_per_jvm
def _loan_type_columns() -> tuple[Column, dict[str, Column]]:
    """The list of loan types a row names, and the counts made from that list."""
    counts = {
        name: F.when(F.col("Type_of_Loan").isNotNull(), count)
        for name, count in loan_type_counts(F.col("_loan_types")).items()
    }
    return loan_type_list(F.col("Type_of_Loan")), counts


def add_financials_columns(financials: DataFrame) -> DataFrame:
    """Credit history in months; Type_of_Loan as a count per loan type and in total."""
    listed, counts = _loan_type_columns()
    return (
        financials.withColumn("_loan_types", listed)
        .withColumnRenamed("Credit_History_Age", "Credit_History_Age_months")
        .withColumns(counts)
        .drop("Type_of_Loan", "_loan_types")
    )


DERIVED_COLUMNS = {
    LOAN_DAILY.silver_table: add_delinquency_columns,
    FINANCIALS.silver_table: add_financials_columns,
}


def silver_rows(bronze: DataFrame, source: Source) -> DataFrame:
    """The cleaned, typed rows of a table with one `_hit__<rule>` flag per value rule."""
    table = source.silver_table
    types = SILVER_TYPES[table]
    kept = bronze.where(F.col(QUARANTINE_RULE).isNull()).select(*types, "snapshot_date")
    cleaned = clean_values(kept, RULES[table], types)
    return DERIVED_COLUMNS.get(table, lambda frame: frame)(cleaned)


def quarantine_rows(flagged: DataFrame) -> DataFrame:
    """Rows held back by a blocking rule, as they were in bronze minus personal data."""
    return flagged.where(F.col(QUARANTINE_RULE).isNotNull()).drop(*PERSONAL_DATA)


def failed_rules(hits: dict, source: Source) -> list[str]:
    fatal = [rule.name for rule in RULES[source.silver_table] if rule.action is Action.FAIL_RUN]
    return [
        f"{rule} fired on {counts[rule]} rows of {month}"
        for month, counts in sorted(hits.items())
        for rule in fatal
        if counts[rule]
    ]


def require_no_fatal_rule(hits: dict, source: Source) -> None:
    """A fail_run rule that fired stops the run, naming the rule, the rows and the month."""
    failures = failed_rules(hits, source)
    if failures:
        raise DataContractError(
            f"silver/{source.silver_table}: {'; '.join(failures)}; fix those rows in {source.file_name} and rerun."
        )


def cleaned_table(bronze: DataFrame, source: Source) -> DataFrame:
    """Bronze rows as silver stores them, quarantined rows left out, failing as the silver job
    fails: the same transform for the datamart and for a training set rebuilt from old versions."""
    rules = RULES[source.silver_table]
    silver = silver_rows(flag_quarantine(bronze, rules), source).persist()
    require_no_fatal_rule(hit_counts_by_month(silver, rules), source)
    return drop_hit_columns(silver)


def reconcile(spark: SparkSession, datamart_dir: str, source: Source, months: list[date]) -> dict[date, dict]:
    """Per month, bronze rows = silver rows + quarantined rows, or the run fails loudly."""
    stored = month_counts(
        spark,
        {
            "rows_in": bronze_table_path(datamart_dir, source),
            "rows_out": silver_table_path(datamart_dir, source),
            "rows_quarantined": quarantine_table_path(datamart_dir, source),
        },
        months,
    )
    result = {}
    for month in months:
        counts = {name: per_month.get(month, 0) for name, per_month in stored.items()}
        if counts["rows_in"] != counts["rows_out"] + counts["rows_quarantined"]:
            raise DataContractError(
                f"silver/{source.silver_table} {month}: bronze has {counts['rows_in']} rows but silver has "
                f"{counts['rows_out']} and quarantine {counts['rows_quarantined']}; rows were lost, rerun the month and report it if it persists."
            )
        result[month] = counts
    return result


def build_silver_table(spark: SparkSession, datamart_dir: str, source: Source, months: list[date]) -> dict:
    """Bronze to silver for the given months; returns per-month counts and rule hits."""
    bronze = read_months(spark, bronze_table_path(datamart_dir, source), months)
    if bronze is None:
        raise UserError(
            f"bronze/{source.stem} has none of the months {months[0]} to {months[-1]} in {datamart_dir}; run the bronze layer for them first (--layers bronze,silver)."
        )
    rules = RULES[source.silver_table]
    flagged = flag_quarantine(bronze, rules).persist()
    silver = silver_rows(flagged, source).persist()
    try:
        hits = hit_counts_by_month(silver, rules)
        require_no_fatal_rule(hits, source)
        held = quarantine_rows(flagged)
        held_by_rule = held.groupBy("snapshot_date", QUARANTINE_RULE).count().collect()
        write_months(drop_hit_columns(silver), silver_table_path(datamart_dir, source), months, set(hits))
        write_months(
            held, quarantine_table_path(datamart_dir, source), months, {row["snapshot_date"] for row in held_by_rule}
        )
    finally:
        silver.unpersist()
        flagged.unpersist()
    counts = reconcile(spark, datamart_dir, source, months)
    for month, month_record in counts.items():
        month_record["quarantined_by_rule"] = {
            row[QUARANTINE_RULE]: row["count"] for row in held_by_rule if row["snapshot_date"] == month
        }
        month_record["rule_hits"] = hits.get(month, {})
    return counts
