"""The month calendar and date parsing.

Every snapshot in this datamart is a month, named by its first day. Source files write
dates as ISO `2023-05-01` or, after a spreadsheet re-save, `5/1/2023` or `5/1/23`; all
three mean the same day.
"""

from datetime import date

from pyspark.sql import Column
from pyspark.sql import functions as F

from utils.platform.errors import UserError

# Tried in order; each pattern is strict, so at most one of them matches a given text.
SOURCE_DATE_PATTERNS = ("yyyy-MM-dd", "M/d/yyyy", "M/d/yy")


def parse_source_date(text: Column) -> Column:
    """A date column from source text in any accepted format; null when none fits."""
    trimmed = F.trim(text)
    return F.coalesce(*[F.try_to_date(trimmed, pattern) for pattern in SOURCE_DATE_PATTERNS])


def is_first_of_month(day: Column) -> Column:
    return F.dayofmonth(day) == 1


def parse_month_flag(flag: str, value: str) -> date:
    """`--start 2023-05-01` to a date; the first of a month, or a clear error."""
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"{flag} {value!r} is not a date; give the first of a month as YYYY-MM-DD, for example 2023-05-01."
        ) from None
    if parsed.day != 1:
        raise UserError(
            f"{flag} {value} is not the first of a month; snapshots are monthly, use {parsed.replace(day=1)}."
        )
    return parsed


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_range(start: date, end: date) -> list[date]:
    """Every first-of-month from start to end, both included."""
    months = []
    month = start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def select_months(available: list[date], start: date | None, end: date | None) -> list[date]:
    """The months of the data a run should process, checked against what the data holds."""
    if not available:
        raise UserError(
            "The source files hold no rows with a valid snapshot_date; check the files in the data folder (see datamart/bronze/_rejects for the reasons)."
        )
    first, last = min(available), max(available)
    if start and end and start > end:
        raise UserError(f"--start {start} is after --end {end}; swap them.")
    if start and not first <= start <= last:
        raise UserError(
            f"--start {start} is outside the data, which covers {first} to {last}; pick a month in that range."
        )
    if end and not first <= end <= last:
        raise UserError(f"--end {end} is outside the data, which covers {first} to {last}; pick a month in that range.")
    start, end = start or first, end or last
    return [month for month in sorted(available) if start <= month <= end]
