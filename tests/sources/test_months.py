from datetime import date

import pytest

from utils.platform.errors import UserError
from utils.sources.months import add_months, month_range, parse_month_flag, select_months

DATA = [date(2023, 1, 1), date(2023, 2, 1), date(2023, 3, 1)]


def test_month_arithmetic_crosses_years():
    assert add_months(date(2023, 11, 1), 3) == date(2024, 2, 1)
    assert add_months(date(2023, 1, 1), -1) == date(2022, 12, 1)
    assert month_range(date(2023, 11, 1), date(2024, 1, 1)) == [date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1)]


def test_month_flags_must_be_first_of_month_dates():
    assert parse_month_flag("--start", "2023-05-01") == date(2023, 5, 1)
    with pytest.raises(UserError, match="not the first of a month.*2023-05-01"):
        parse_month_flag("--start", "2023-05-17")
    with pytest.raises(UserError, match="--end 'May' is not a date"):
        parse_month_flag("--end", "May")


def test_months_default_to_the_whole_data_and_respect_the_range():
    assert select_months(DATA, None, None) == DATA
    assert select_months(DATA, date(2023, 2, 1), None) == DATA[1:]
    assert select_months(DATA, None, date(2023, 2, 1)) == DATA[:2]


def test_months_outside_the_data_or_reversed_are_refused():
    with pytest.raises(
        UserError, match="--start 2022-01-01 is outside the data, which covers 2023-01-01 to 2023-03-01"
    ):
        select_months(DATA, date(2022, 1, 1), None)
    with pytest.raises(UserError, match="--end 2024-01-01 is outside the data"):
        select_months(DATA, None, date(2024, 1, 1))
    with pytest.raises(UserError, match="after --end"):
        select_months(DATA, date(2023, 3, 1), date(2023, 1, 1))
