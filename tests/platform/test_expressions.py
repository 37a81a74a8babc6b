"""Column expressions built once per Spark JVM (utils/platform/expressions.py)."""

from pyspark import SparkContext

from tests.conftest import rows
from utils.platform.expressions import once_per_jvm
from utils.silver.quality_rules import RULES
from utils.silver.rule_engine import QUARANTINE_RULE, flag_quarantine
from utils.sources.registry import ATTRIBUTES


def test_an_expression_is_built_once_per_arguments_and_again_for_a_new_jvm(monkeypatch):
    builds = []

    @once_per_jvm
    def doubled(value):
        builds.append(value)
        return [value, value]

    monkeypatch.setattr(SparkContext, "_gateway", object())
    first = doubled(1)
    assert doubled(1) is first and builds == [1]
    assert doubled(2) == [2, 2] and builds == [1, 2]
    monkeypatch.setattr(SparkContext, "_gateway", object())  # a JVM started after the first one
    assert doubled(1) is not first and builds == [1, 2, 1]


def test_one_built_expression_serves_every_dataframe_it_is_used_in(spark):
    rules = RULES[ATTRIBUTES.silver_table]
    columns = ", ".join(f"{column} string" for column in ATTRIBUTES.columns)
    good = spark.createDataFrame([("C1", "Ann", "30", "1", "Engineer", "2023-01-01")], columns)
    no_key = spark.createDataFrame([(None, "Bob", "40", "2", "Writer", "2023-01-01")], columns)
    assert flag_quarantine(good, rules).select(QUARANTINE_RULE).collect()[0][0] is None
    assert flag_quarantine(no_key, rules).select(QUARANTINE_RULE).collect()[0][0] == "Customer_ID_missing"
    # The same flag again, on both frames joined into one: the shared expression is resolved per plan.
    both = flag_quarantine(good.unionByName(no_key), rules)
    assert rows(both.select("Name", QUARANTINE_RULE), "Name") == [
        {"Name": "Ann", QUARANTINE_RULE: None},
        {"Name": "Bob", QUARANTINE_RULE: "Customer_ID_missing"},
    ]
