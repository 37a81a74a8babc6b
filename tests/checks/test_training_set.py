"""The training set's canonical hash and its account of differences, on tiny Arrow tables."""

from datetime import date

import pyarrow as pa
import pytest

from utils.checks.training_set import content_sha256, differences, parse_instant
from utils.platform.errors import UserError


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows)


ROWS = [
    {"loan_id": "L2", "label": 1, "income": 1.5, "application_month": date(2023, 2, 1), "job": "writer"},
    {"loan_id": "L1", "label": 0, "income": None, "application_month": date(2023, 1, 1), "job": None},
]


def test_the_hash_depends_on_values_not_on_row_or_column_order():
    base = content_sha256(table(ROWS))
    assert content_sha256(table(list(reversed(ROWS)))) == base
    assert content_sha256(table(ROWS).select(["job", "loan_id", "label", "income", "application_month"])) == base
    assert content_sha256(table([ROWS[0], {**ROWS[1], "income": 0.0}])) != base  # null is not zero
    assert content_sha256(table([ROWS[0], {**ROWS[1], "job": "None"}])) != base  # nor the text None
    assert content_sha256(table([{**ROWS[0], "income": 1.5000000000000002}, ROWS[1]])) != base  # every bit counts
    assert content_sha256(table(ROWS).drop_columns(["job"])) != base


def test_differences_name_rows_by_loan_and_columns():
    old = table(ROWS)
    new = table(
        [
            {**ROWS[0], "income": 2.5},
            {"loan_id": "L3", "label": 1, "income": 3.0, "application_month": date(2023, 3, 1), "job": "x"},
        ]
    ).drop_columns(["job"])
    assert differences(old, new) == [
        "columns removed: job",
        "rows: 1 added, 1 removed, 1 changed (by loan_id)",
        "  added: L3",
        "  removed: L1",
        "  changed: L2",
        "values changed in: income (1 rows)",
    ]


@pytest.mark.parametrize(
    "text", ["2026-03-01", "2026-03-01 09:30:00", "2026-03-01T09:30:00+01:00", "2026-13-01T09:30:00Z"]
)
def test_an_instant_in_another_form_is_one_sentence_naming_the_flag(text):
    with pytest.raises(UserError, match=r"^--as-known-at .* is not an instant like 2026-03-01T09:30:00Z; .*\.$"):
        parse_instant("--as-known-at", text)
