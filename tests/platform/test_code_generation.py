import uuid

from utils.platform.code_generation import compiled_so_far


def test_a_new_query_is_compiled_once_and_its_repeat_reuses_the_class(spark):
    # A literal of its own makes this query's generated source new to the session.
    expression = f"id * 7919 + {uuid.uuid4().int % 1_000_000}"
    before = compiled_so_far(spark)
    spark.range(10).selectExpr(expression).collect()
    first = compiled_so_far(spark)
    spark.range(10).selectExpr(expression).collect()  # built again, as every run builds its queries
    again = compiled_so_far(spark)

    assert first.since(before)["classes_compiled"] >= 1 and first.seconds > before.seconds
    assert again.since(first) == {"classes_compiled": 0, "compile_seconds": 0.0}
