"""Text to typed values, for columns that arrive as strings from bronze.

Each parser returns null where the text does not hold a valid value, never an error:
Spark's ANSI mode stays on, so nothing here relies on a lenient cast. The quality rules
count where a parser gave up.
"""

import re

from pyspark.sql import Column
from pyspark.sql import functions as F

from utils.sources.months import parse_source_date
from utils.sources.registry import LOAN_TYPES

INT_LIMIT = 2**31 - 1


def snake_case(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def loan_type_column(loan_type: str) -> str:
    return f"loan_type_{snake_case(loan_type)}"


def to_double(text: Column) -> Column:
    return F.trim(text).try_cast("double")


def to_int(text: Column) -> Column:
    """Whole numbers, also when written as `4.0`; null for fractions and overflow."""
    number = to_double(text)
    return F.when((number == F.floor(number)) & (F.abs(number) <= INT_LIMIT), number.cast("int"))


def to_date(text: Column) -> Column:
    return parse_source_date(text)


def to_text(text: Column) -> Column:
    trimmed = F.trim(text)
    return F.when(trimmed != "", trimmed)


def to_category(allowed: tuple[str, ...]):
    """A parser giving the snake_case form of a known category, null otherwise."""
    by_lower = {value.lower(): snake_case(value) for value in allowed}

    def parse(text: Column) -> Column:
        lowered = F.lower(F.trim(text))
        mapping = F.create_map(*[F.lit(item) for pair in by_lower.items() for item in pair])
        return F.when(lowered.isin(list(by_lower)), F.element_at(mapping, lowered))

    return parse


def credit_history_months(text: Column) -> Column:
    """`10 Years and 9 Months` to 129."""
    pattern = r"^\s*(\d+) Years? and (\d+) Months?\s*$"
    years = F.regexp_extract(text, pattern, 1)
    months = F.regexp_extract(text, pattern, 2)
    # try_cast: a count of years too large for an int is not a duration (ANSI cast would raise).
    return F.when(years != "", years.try_cast("int") * 12 + months.try_cast("int"))


def strip_trailing_underscores(text: Column) -> Column:
    return F.regexp_replace(text, r"_+$", "")


def loan_type_list(text: Column) -> Column:
    """`Auto Loan, Payday Loan, and Auto Loan` to ["Auto Loan", "Payday Loan", "Auto Loan"]."""
    items = F.split(F.trim(text), r",\s*")
    return F.transform(items, lambda item: F.trim(F.regexp_replace(item, r"^and\s+", "")))


def _times_listed(items: Column, loan_type: str) -> Column:
    return F.size(F.filter(items, lambda item: item == loan_type))


def loan_type_counts(items: Column) -> dict[str, Column]:
    """Per known loan type, how often a loan-type list names it; plus the list's length."""
    counts = {loan_type_column(loan_type): _times_listed(items, loan_type) for loan_type in LOAN_TYPES}
    counts["loan_types_listed"] = F.size(items)
    return counts


def has_unknown_loan_type(text: Column) -> Column:
    return F.exists(loan_type_list(text), lambda item: ~item.isin(list(LOAN_TYPES)))
