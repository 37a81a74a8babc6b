"""Awkward files: each is handled correctly or stops with one sentence, and the datamart keeps what it had."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.end_to_end.test_main import expect_user_error, records, run_main
from tests.end_to_end.test_reliability import snapshot
from utils.sources.registry import ATTRIBUTES, CLICKSTREAM, FINANCIALS


@pytest.fixture(scope="module")
def built(small_datamart):
    return small_datamart


@pytest.fixture
def case(built, small_data, tmp_path):
    """A copy of the data to spoil, and a copy of the datamart to run into."""
    data, datamart = tmp_path / "data", tmp_path / "datamart"
    shutil.copytree(small_data, data)
    shutil.copytree(built, datamart)
    return data, datamart


def silver(datamart: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(datamart / "silver" / name)
    return frame.sort_values(list(frame.columns)[:2]).reset_index(drop=True)


def test_a_spreadsheet_resave_with_bom_crlf_and_quoted_fields_is_read_correctly(case, built):
    data, datamart = case
    lines = (data / ATTRIBUTES.file_name).read_text().splitlines()
    header, rows = lines[0], lines[1:]
    quoted = []
    for row in rows:
        customer, name, *rest = row.split(",")
        quoted.append(",".join([customer, f'"{name}, Jr.\nof ""Somewhere"""', *rest]))
    (data / ATTRIBUTES.file_name).write_bytes(b"\xef\xbb\xbf" + "\r\n".join([header, *quoted, ""]).encode("utf-8"))
    assert run_main("--data-dir", data, "--datamart-dir", datamart, "--layers", "bronze,silver") == 0
    bronze = pd.read_parquet(datamart / "bronze" / ATTRIBUTES.stem)
    assert len(bronze) == len(rows) and bronze["Name"].str.endswith(', Jr.\nof "Somewhere"').all()
    assert (
        not bronze["Occupation"].str.contains("\r").any() and not bronze["Customer_ID"].str.startswith("\ufeff").any()
    )
    pd.testing.assert_frame_equal(silver(datamart, "attributes"), silver(built, "attributes"), check_exact=True)


def test_bytes_that_are_not_utf8_stop_the_run_before_anything_is_written(case, built, capsys):
    data, datamart = case
    content = (data / FINANCIALS.file_name).read_bytes()
    (data / FINANCIALS.file_name).write_bytes(content.replace(b"CUS_0x", b"CUS_\xe90x", 1))
    expect_user_error(
        capsys,
        ["--data-dir", data, "--datamart-dir", datamart],
        "features_financials.csv is not UTF-8 text (byte 0xe9 on line 2); re-save it as UTF-8",
    )
    assert all(
        after.keys() == before.keys() and all(after[m].equals(before[m]) for m in after)
        for after, before in zip(snapshot(datamart).values(), snapshot(built).values(), strict=True)
    )


def test_a_month_missing_from_one_source_is_noted_and_the_rest_is_built(case, capsys):
    data, datamart = case
    frame = pd.read_csv(data / CLICKSTREAM.file_name, dtype=str)
    frame[frame["snapshot_date"] != "2023-08-01"].to_csv(data / CLICKSTREAM.file_name, index=False)
    assert run_main("--data-dir", data, "--datamart-dir", datamart, "--layers", "bronze,silver") == 0
    assert "feature_clickstream.csv has no rows for 2023-08-01, which other sources have" in capsys.readouterr().out
    assert not (
        datamart / "bronze" / CLICKSTREAM.stem / "snapshot_date=2023-08-01"
    ).exists()  # the source no longer has it
    assert not (datamart / "silver" / "clickstream" / "snapshot_date=2023-08-01").exists()
    assert (datamart / "silver" / "loan_daily" / "snapshot_date=2023-08-01").exists()


def test_a_month_appended_twice_is_quarantined_once_and_silver_is_unchanged(case, built):
    data, datamart = case
    text = (data / FINANCIALS.file_name).read_text()
    march = [line for line in text.splitlines()[1:] if line.endswith(",2023-03-01")]
    (data / FINANCIALS.file_name).write_text(text + "\n".join(march) + "\n")
    assert run_main("--data-dir", data, "--datamart-dir", datamart, "--layers", "bronze,silver") == 0
    pd.testing.assert_frame_equal(silver(datamart, "financials"), silver(built, "financials"), check_exact=True)
    held = pd.read_parquet(datamart / "silver" / "_quarantine" / "financials")
    assert len(held) == len(march) and set(held["_quarantine_rule"]) == {"duplicate_row"}
    counts = records(datamart)[-1]["layers"]["silver"]["financials"]["months"]["2023-03-01"]
    assert counts["rows_in"] == 2 * len(march) and counts["rows_quarantined"] == len(march)


def test_a_truncated_last_line_is_rejected_and_the_rest_is_kept(case):
    data, datamart = case
    text = (data / ATTRIBUTES.file_name).read_text().rstrip("\n")
    last = text.splitlines()[-1]
    (data / ATTRIBUTES.file_name).write_text(text[: len(text) - len(last) + 12])  # cut inside the last row, no newline
    assert run_main("--data-dir", data, "--datamart-dir", datamart, "--layers", "bronze,silver") == 0
    rejects = pd.read_parquet(datamart / "bronze" / "_rejects" / ATTRIBUTES.stem)
    assert list(rejects["_reject_reason"]) == ["wrong number of fields"] and rejects["_raw_line"][0] == last[:12]
    record = records(datamart)[-1]["layers"]["bronze"][ATTRIBUTES.stem]
    assert sum(m["rows"] for m in record["months"].values()) + record["rows_rejected"] == len(text.splitlines()) - 1
