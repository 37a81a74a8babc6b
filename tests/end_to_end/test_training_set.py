"""Revised extracts and frozen training sets, end to end (docs/DESIGN.md, Versions and training sets).

One scenario for the module: extract A (the small data without its last month) is ingested
and a training set is made; then extract B (the full data, with some financials, loan
snapshots and attributes of earlier months revised and a financials row removed) is
ingested, twice. Ingesting is the bronze layer: training sets are built from bronze alone.
"""

import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.end_to_end.test_main import records, run_main
from utils.checks.sanity_classifier import load_training_set
from utils.checks.training_set import content_sha256
from utils.sources.registry import ATTRIBUTES, FINANCIALS, LOAN_DAILY, SOURCES

LAST = "2023-08-01"


def read(data: Path, source) -> pd.DataFrame:
    return pd.read_csv(data / source.file_name, dtype=str, keep_default_na=False)


def extract_a(small_data: Path, out: Path) -> Path:
    out.mkdir()
    for source in SOURCES:
        frame = read(small_data, source)
        frame[frame["snapshot_date"] != LAST].to_csv(out / source.file_name, index=False)
    return out


def first_rows(frame: pd.DataFrame, month: str, count: int, extra=True) -> pd.Index:
    return frame.index[(frame["snapshot_date"] == month) & extra][:count]


def extract_b(small_data: Path, out: Path) -> Path:
    """The full data, revised: 3 financials changed and 1 removed in 2023-02, 3 changed in
    2023-01; 3 applications' loan_amt in 2023-01; one customer's Age in 2023-01."""
    shutil.copytree(small_data, out)
    financials = read(small_data, FINANCIALS)
    for month in ("2023-01-01", "2023-02-01"):
        financials.loc[first_rows(financials, month, 3), "Annual_Income"] = "99999.0"
    financials = financials.drop(first_rows(financials, "2023-02-01", 4)[-1:])
    financials.to_csv(out / FINANCIALS.file_name, index=False)
    loans = read(small_data, LOAN_DAILY)
    loans.loc[first_rows(loans, "2023-01-01", 3, loans["installment_num"] == "0"), "loan_amt"] = "12000"
    loans.to_csv(out / LOAN_DAILY.file_name, index=False)
    attributes = read(small_data, ATTRIBUTES)
    attributes.loc[first_rows(attributes, "2023-01-01", 1), "Age"] = "77"
    attributes.to_csv(out / ATTRIBUTES.file_name, index=False)
    return out


def history(datamart: Path) -> list[str]:
    return sorted(str(p.relative_to(datamart)) for p in (datamart / "bronze" / "_history").glob("*/*/snapshot_date=*"))


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def next_second() -> None:
    """Ingestion times are whole seconds: the next run must start in a later one."""
    time.sleep(1.05)


@pytest.fixture(scope="module")
def scenario(spark, small_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("versions")
    datamart, a, b = root / "datamart", extract_a(small_data, root / "a"), extract_b(small_data, root / "b")
    assert run_main("--data-dir", a, "--datamart-dir", datamart, "--layers", "bronze") == 0
    assert run_main("training-set", "--datamart-dir", datamart, "--out", root / "set_a") == 0
    next_second()
    assert run_main("--data-dir", b, "--datamart-dir", datamart, "--layers", "bronze") == 0
    after_b = history(datamart)
    assert run_main("training-set", "--datamart-dir", datamart, "--out", root / "set_b") == 0
    next_second()
    assert run_main("--data-dir", b, "--datamart-dir", datamart, "--layers", "bronze") == 0
    return {"root": root, "datamart": datamart, "history_after_b": after_b}


def test_a_revised_extract_keeps_what_it_replaced_and_says_so(scenario):
    datamart = scenario["datamart"]
    assert scenario["history_after_b"] == [
        f"bronze/_history/{stem}/{version}/snapshot_date={month}"
        for stem, month in [
            ("features_attributes", "2023-01-01"),
            ("features_financials", "2023-01-01"),
            ("features_financials", "2023-02-01"),
            ("lms_loan_daily", "2023-01-01"),
        ]
        for version in [p.name for p in (datamart / "bronze" / "_history" / stem).glob("ingested_at=*")]
    ]
    run_b = records(datamart)[1]["layers"]["bronze"]
    assert run_b["features_financials"]["revisions"] == {
        "2023-01-01": {"added": 0, "removed": 0, "changed": 3},
        "2023-02-01": {"added": 0, "removed": 1, "changed": 3},
    }
    assert run_b["lms_loan_daily"]["revisions"] == {"2023-01-01": {"added": 0, "removed": 0, "changed": 3}}
    assert run_b["feature_clickstream"]["revisions"] == {}
    kept = pd.read_parquet(next((datamart / "bronze" / "_history" / "features_attributes").glob("ingested_at=*")))
    assert not {"Name", "SSN"} & set(kept.columns) and {"_replaced_at", "_personal_data_variant"} <= set(kept.columns)
    # The current table is bronze as it always was: B's rows, Name and SSN included.
    current = pd.read_parquet(datamart / "bronze" / "features_attributes")
    assert {"Name", "SSN"} <= set(current.columns) and "77" in set(current["Age"])
    assert kept["_ingested_at"].max() < kept["_replaced_at"].min() == current["_ingested_at"].max()


def test_rerunning_the_same_extract_keeps_no_new_version_and_leaves_bronze_as_it_was(scenario):
    datamart = scenario["datamart"]
    assert history(datamart) == scenario["history_after_b"]
    rerun = records(datamart)[-1]["layers"]["bronze"]
    for source in SOURCES:
        assert rerun[source.stem]["revisions"] == {}
        assert rerun[source.stem]["unchanged_months"] == [f"2023-{m:02d}-01" for m in range(1, 9)]
    ingested = pd.read_parquet(datamart / "bronze" / "features_financials")["_ingested_at"]
    assert ingested.max() < pd.Timestamp(records(datamart)[-1]["started_at"]).tz_convert(None)


def test_a_training_set_as_known_at_a_past_instant_is_the_one_made_then(scenario):
    root, datamart = scenario["root"], scenario["datamart"]
    set_a, set_b = manifest(root / "set_a"), manifest(root / "set_b")
    assert set_b["content_sha256"] != set_a["content_sha256"] and set_b["rows"] > set_a["rows"]
    assert (
        run_main(
            "training-set", "--datamart-dir", datamart, "--out", root / "again", "--as-known-at", set_a["as_known_at"]
        )
        == 0
    )
    again = manifest(root / "again")
    assert again["content_sha256"] == set_a["content_sha256"]
    assert again["bronze_versions"] == set_a["bronze_versions"]
    assert pq.read_table(root / "again" / "rows").equals(pq.read_table(root / "set_a" / "rows"))
    assert content_sha256(pq.read_table(root / "set_a" / "rows")) == set_a["content_sha256"]
    assert set_a["rows"] > 0 and set_a["label_definition"] == {"name": "30dpd_6mob", "dpd": 30, "mob": 6}
    assert {"label", "label_def", "application_month", "loan_id", *set_a["features"]} <= set(set_a["columns"])


def test_verify_passes_on_an_intact_set_and_names_what_differs_otherwise(scenario, capsys):
    root, datamart = scenario["root"], scenario["datamart"]
    capsys.readouterr()
    assert run_main("training-set", "--datamart-dir", datamart, "--verify", root / "set_a") == 0
    assert "verified" in capsys.readouterr().out
    # A manifest that claims B's instant and other code: the rebuild is B's set.
    tampered = root / "tampered"
    shutil.copytree(root / "set_a", tampered)
    claims = {**manifest(tampered), "as_known_at": manifest(root / "set_b")["as_known_at"]}
    claims["code_version"] = {"git_commit": "0" * 40, "uncommitted_changes": False}
    (tampered / "manifest.json").write_text(json.dumps(claims))
    assert run_main("training-set", "--datamart-dir", datamart, "--verify", tampered) == 1
    out = capsys.readouterr().out
    added = manifest(root / "set_b")["rows"] - manifest(root / "set_a")["rows"]
    assert f"rows: {added:,} added, 0 removed, 3 changed (by loan_id)" in out
    assert "code version changed from 000000000000 to " in out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--as-known-at", "2026-03-01 09:30"], "--as-known-at '2026-03-01 09:30' is not an instant like"),
        (["--as-known-at", "2001-01-01T00:00:00Z"], "--as-known-at 2001-01-01T00:00:00Z is before the first ingestion"),
    ],
)
def test_an_instant_before_the_first_ingestion_or_in_a_bad_form_is_one_sentence(scenario, flags, message, capsys):
    root = scenario["root"]
    assert run_main("training-set", "--datamart-dir", scenario["datamart"], "--out", root / "never", *flags) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and error.count(". ") == 0 and error.endswith(".")
    assert not (root / "never").exists()


def test_verify_takes_no_other_instant(scenario, capsys):
    root = scenario["root"]
    argv = ["training-set", "--verify", root / "set_a", "--as-known-at", "2026-01-01T00:00:00Z"]
    assert run_main(*argv) == 2
    assert "--verify rebuilds from the folder's manifest" in capsys.readouterr().err


def test_a_training_set_of_now_is_the_live_gold_stores_training_set(spark, small_datamart, tmp_path):
    """The same transforms: rebuilt from bronze, the set equals the sanity check's join of the stores."""
    assert run_main("training-set", "--datamart-dir", small_datamart, "--out", tmp_path / "now") == 0
    frozen = pd.read_parquet(tmp_path / "now" / "rows")
    live = load_training_set(spark, str(small_datamart))
    frozen["application_month"] = pd.to_datetime(frozen["application_month"])
    assert sorted(frozen.columns) == sorted(live.columns)
    order = sorted(frozen.columns)
    pd.testing.assert_frame_equal(
        frozen[order].sort_values("loan_id").reset_index(drop=True),
        live[order].sort_values("loan_id").reset_index(drop=True),
        check_dtype=False,
    )
    assert run_main("check", "--training-set", tmp_path / "now") == 0
