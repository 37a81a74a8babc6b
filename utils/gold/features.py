"""The feature catalogue's building block: one declared feature = name, source, inputs, definition, expression.

Declaring features as data keeps the feature store and its column dictionary from ever
disagreeing: both are generated from the same list.
"""

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F


@dataclass(frozen=True)
class Feature:
    name: str
    source: str  # the silver table it is built from
    inputs: tuple[str, ...]  # the silver columns it reads
    definition: str
    expression: Callable[[], Column]  # over the application row with its as-of source columns
    group: str = "application"  # what the sanity check's ablation adds or leaves out together


def ratio(numerator: Column, denominator: Column) -> Column:
    """numerator / denominator, null unless the denominator is positive (ANSI: no silent x/0)."""
    return F.when(denominator > 0, numerator / denominator)
