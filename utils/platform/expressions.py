"""Column expressions built once per Spark JVM and reused by every run in it.

In classic PySpark each call that builds a Column (F.col, F.when, Column.cast, ...) is a
round trip to the driver JVM: silver's quality rules and parsers make some 7,000 of them in
a run. An expression that depends only on the code, not on the data, is the same in every
run of a session, so a notebook or the test suite builds it once. A Column is an immutable,
unresolved expression: any number of DataFrames may use the same one.
"""

import functools
from collections.abc import Callable, Hashable
from typing import TypeVar

from pyspark import SparkContext

Built = TypeVar("Built")


def once_per_jvm(build: Callable[..., Built]) -> Callable[..., Built]:
    """`build(*args)` memoised per hashable arguments and per Spark JVM (its py4j gateway):
    Columns made through one gateway mean nothing to a JVM started after it."""
    built: dict[tuple, tuple[object, Built]] = {}

    @functools.wraps(build)
    def cached(*args: Hashable) -> Built:
        gateway = SparkContext._gateway
        held = built.get(args)
        if held is None or held[0] is not gateway:
            held = built[args] = (gateway, build(*args))
        return held[1]

    return cached
