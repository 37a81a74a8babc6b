"""Applies a table's quality rules (utils/quality_rules.py) to a DataFrame and counts them.

Pure DataFrame-to-DataFrame functions: the silver job decides what to persist and write.
"""

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from utils.quality_rules import Action, Rule, Stage

QUARANTINE_RULE = "_quarantine_rule"
HIT_PREFIX = "_hit__"


def hit_column(rule: Rule) -> str:
    return f"{HIT_PREFIX}{rule.name}"


def _fires(rule: Rule) -> Column:
    return F.coalesce(rule.fires(F.col(rule.column.split(",")[0])), F.lit(False))


def flag_quarantine(frame: DataFrame, rules: list[Rule]) -> DataFrame:
    """Adds `_quarantine_rule`: the first quarantine rule the row breaks, null if none."""
    blocking = [rule for rule in rules if rule.action is Action.QUARANTINE_ROW]
    first_broken = F.coalesce(*[F.when(_fires(rule), F.lit(rule.name)) for rule in blocking], F.lit(None).cast("string"))
    return frame.withColumn(QUARANTINE_RULE, first_broken)


def _apply_value_rule(frame: DataFrame, rule: Rule) -> DataFrame:
    hit = hit_column(rule)
    frame = frame.withColumn(hit, _fires(rule))
    if rule.action is Action.NULL_VALUE:
        return frame.withColumn(rule.column, F.when(~F.col(hit), F.col(rule.column)))
    if rule.action is Action.REPAIR_VALUE:
        return frame.withColumn(rule.column, F.when(F.col(hit), rule.repair(F.col(rule.column))).otherwise(F.col(rule.column)))
    return frame  # fail_run: only counted here; the job stops the run when it fired


def clean_values(frame: DataFrame, rules: list[Rule], types: dict) -> DataFrame:
    """Raw rules on the text, then parse every typed column, then typed rules on the values.

    Adds one boolean `_hit__<rule>` column per non-quarantine rule. Columns without a silver
    type (personal data, raw text that is parsed later) pass through untouched."""
    value_rules = [rule for rule in rules if rule.action is not Action.QUARANTINE_ROW]
    for rule in (r for r in value_rules if r.stage is Stage.RAW):
        frame = _apply_value_rule(frame, rule)
    frame = frame.withColumns({column: parser(F.col(column)) for column, parser in types.items()})
    for rule in (r for r in value_rules if r.stage is Stage.TYPED):
        frame = _apply_value_rule(frame, rule)
    return frame


def hit_counts_by_month(frame: DataFrame, rules: list[Rule]) -> dict:
    """{month: {rule name: rows it fired on}} for the value rules of a cleaned frame."""
    value_rules = [rule for rule in rules if rule.action is not Action.QUARANTINE_ROW]
    sums = [F.sum(F.col(hit_column(rule)).cast("long")).alias(rule.name) for rule in value_rules]
    rows = frame.groupBy("snapshot_date").agg(*sums).collect()
    return {row["snapshot_date"]: {rule.name: row[rule.name] for rule in value_rules} for row in rows}


def drop_hit_columns(frame: DataFrame) -> DataFrame:
    return frame.drop(*[column for column in frame.columns if column.startswith(HIT_PREFIX)])
