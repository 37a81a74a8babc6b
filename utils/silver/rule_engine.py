"""Applies a table's quality rules (utils/silver/quality_rules.py) to a DataFrame and counts them.

Pure DataFrame-to-DataFrame functions: the silver job decides what to persist and write.
"""

from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from utils.platform.expressions import once_per_jvm
from utils.silver.quality_rules import Action, Rule, Stage

QUARANTINE_RULE = "_quarantine_rule"
HIT_PREFIX = "_hit__"
PARSED_PREFIX = "_parsed__"


def hit_column(rule: Rule) -> str:
    return f"{HIT_PREFIX}{rule.name}"


def _fires(rule: Rule) -> Column:
    return F.coalesce(rule.fires(F.col(rule.column.split(",")[0])), F.lit(False))


@once_per_jvm
def _first_broken(rules: tuple[Rule, ...]) -> Column:
    blocking = [rule for rule in rules if rule.action is Action.QUARANTINE_ROW]
    return F.coalesce(*[F.when(_fires(rule), F.lit(rule.name)) for rule in blocking], F.lit(None).cast("string"))


def flag_quarantine(frame: DataFrame, rules: list[Rule]) -> DataFrame:
    """Adds `_quarantine_rule`: the first quarantine rule the row breaks, null if none."""
    return frame.withColumn(QUARANTINE_RULE, _first_broken(tuple(rules)))


def _value_after(rule: Rule, value: Column, hit: Column) -> Column:
    if rule.action is Action.NULL_VALUE:
        return F.when(~hit, value)
    if rule.action is Action.REPAIR_VALUE:
        return F.when(hit, rule.repair(value)).otherwise(value)
    return value  # fail_run: only counted here; the job stops the run when it fired


def _rounds(rules: list[Rule]) -> list[list[Rule]]:
    """Split rules into rounds with at most one rule per column, keeping each column's order."""
    rounds: list[list[Rule]] = []
    for rule in rules:
        index = sum(1 for earlier in rules[: rules.index(rule)] if earlier.column == rule.column)
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(rule)
    return rounds


@once_per_jvm
def _stage_projections(rules: tuple[Rule, ...]) -> tuple[tuple[dict[str, Column], dict[str, Column]], ...]:
    """Per round, the rules' hit flags, then the values they change."""
    return tuple(
        (
            {hit_column(rule): _fires(rule) for rule in round_rules},
            {rule.column: _value_after(rule, F.col(rule.column), F.col(hit_column(rule))) for rule in round_rules},
        )
        for round_rules in _rounds(list(rules))
    )


def _apply_stage(frame: DataFrame, rules: list[Rule]) -> DataFrame:
    """Each round is two projections: the rules' hit flags, then the values they change.

    Referring to columns, not to ever-growing expressions, keeps the plan small: a chain of
    one withColumn per rule, or one nested expression per column, makes Spark's planning and
    code generation take seconds for the financials table's fifty rules."""
    for hits, values in _stage_projections(tuple(rules)):
        frame = frame.withColumns(hits).withColumns(values)
    return frame


@once_per_jvm
def _parse_projections(
    types: tuple[tuple[str, Callable[[Column], Column]], ...], parse_rules: tuple[Rule, ...]
) -> tuple[dict[str, Column], dict[str, Column], dict[str, Column]]:
    """The parsed values beside the text, the parse rules' hit flags, the values in the text's place."""
    parsed = {f"{PARSED_PREFIX}{column}": parser(F.col(column)) for column, parser in types}
    hits = {
        hit_column(rule): F.coalesce(
            rule.fires(F.col(rule.column), F.col(f"{PARSED_PREFIX}{rule.column}")), F.lit(False)
        )
        for rule in parse_rules
    }
    in_place = {column: F.col(f"{PARSED_PREFIX}{column}") for column, _ in types}
    return parsed, hits, in_place


def _parse(frame: DataFrame, parse_rules: list[Rule], types: dict) -> DataFrame:
    """Parses each typed column once: the parse rules read the parsed value beside the text
    (a column, so Spark computes it once for both), then it takes the text's place. A parse
    rule nulls the value, which is where the parse gave null anyway."""
    if any(rule.action is not Action.NULL_VALUE for rule in parse_rules):
        raise ValueError("a parse rule can only null a value")
    parsed, hits, in_place = _parse_projections(tuple(types.items()), tuple(parse_rules))
    return frame.withColumns(parsed).withColumns(hits).withColumns(in_place).drop(*parsed)


def clean_values(frame: DataFrame, rules: list[Rule], types: dict) -> DataFrame:
    """Raw rules on the text, then parse every typed column (with the parse rules), then
    typed rules on the values.

    Adds one boolean `_hit__<rule>` column per non-quarantine rule. Columns without a silver
    type (personal data, raw text that is parsed later) pass through untouched."""
    value_rules = [rule for rule in rules if rule.action is not Action.QUARANTINE_ROW]
    frame = _apply_stage(frame, [rule for rule in value_rules if rule.stage is Stage.RAW])
    frame = _parse(frame, [rule for rule in value_rules if rule.stage is Stage.PARSE], types)
    return _apply_stage(frame, [rule for rule in value_rules if rule.stage is Stage.TYPED])


@once_per_jvm
def _hit_sums(value_rules: tuple[Rule, ...]) -> tuple[Column, ...]:
    return tuple(F.sum(F.col(hit_column(rule)).cast("long")).alias(rule.name) for rule in value_rules)


def hit_counts_by_month(frame: DataFrame, rules: list[Rule]) -> dict:
    """{month: {rule name: rows it fired on}} for the value rules of a cleaned frame."""
    value_rules = [rule for rule in rules if rule.action is not Action.QUARANTINE_ROW]
    rows = frame.groupBy("snapshot_date").agg(*_hit_sums(tuple(value_rules))).collect()
    return {row["snapshot_date"]: {rule.name: row[rule.name] for rule in value_rules} for row in rows}


def drop_hit_columns(frame: DataFrame) -> DataFrame:
    return frame.drop(*[column for column in frame.columns if column.startswith(HIT_PREFIX)])
