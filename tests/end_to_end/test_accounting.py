"""Every loan accounted for, end to end: silver loans = applications + held back, and the
run fails naming the loans when something disappears without a reason."""

import shutil

import pandas as pd
from pyspark.sql import functions as F

from tests.end_to_end.test_main import records, run_main
from utils.gold import build as gold_build
from utils.silver import build as silver_build
from utils.sources.registry import LOAN_DAILY


def damaged_extract(small_data, out):
    """The small extract with two first snapshots damaged as in the field: one loan's
    installment_num unreadable, another's snapshot_date an impossible date."""
    shutil.copytree(small_data, out)
    loans = pd.read_csv(small_data / LOAN_DAILY.file_name, dtype=str, keep_default_na=False)
    first = loans[loans["installment_num"] == "0"]
    unreadable = first[first["snapshot_date"] == "2023-03-01"].iloc[0]["loan_id"]
    impossible = first[first["snapshot_date"] == "2023-02-01"].iloc[0]["loan_id"]
    loans.loc[(loans["loan_id"] == unreadable) & (loans["installment_num"] == "0"), "installment_num"] = "n/a"
    loans.loc[(loans["loan_id"] == impossible) & (loans["installment_num"] == "0"), "snapshot_date"] = "2023-02-30"
    loans.to_csv(out / LOAN_DAILY.file_name, index=False)
    return unreadable, impossible


def test_damaged_first_snapshots_are_derived_or_held_back_by_name(small_data, tmp_path, capsys):
    unreadable, impossible = damaged_extract(small_data, tmp_path / "data")
    datamart = tmp_path / "datamart"
    assert run_main("--data-dir", tmp_path / "data", "--datamart-dir", datamart) == 0
    output = capsys.readouterr().out

    features = pd.read_parquet(datamart / "gold" / "feature_store", columns=["loan_id"])
    assert unreadable in set(features["loan_id"])  # months on book came from the dates
    held = pd.read_parquet(datamart / "gold" / "_held_back" / "feature_store")
    assert held[["loan_id", "reason"]].values.tolist() == [[impossible, "first_snapshot_missing"]]
    assert str(held["snapshot_date"].iloc[0]) == "2023-02-01"
    assert held["explanation"].iloc[0].startswith("the loan's first snapshot (months on book 0) is not in silver")

    record = records(datamart)[-1]
    for store in ("feature_store", "label_store"):
        for month, counts in record["layers"]["gold"][store]["months"].items():
            assert counts["expected"] == counts["rows"] + counts["held_back"], (store, month)
    february = record["layers"]["gold"]["feature_store"]["months"]["2023-02-01"]
    assert february["held_back_by_reason"] == {"first_snapshot_missing": 1}
    derived = record["layers"]["silver"]["loan_daily"]["months"]["2023-03-01"]["rule_hits"]
    assert derived["installment_num_from_dates"] == 1
    assert "= 299 applications + 1 held back (first_snapshot_missing 1; see gold/_held_back)" in output


def test_a_loan_lost_without_a_reason_fails_the_run_and_is_named(small_datamart, tmp_path, monkeypatch, capsys):
    """A feature store that silently drops an application (a bug) must not publish."""
    original, lost = gold_build.build_feature_store, []

    def losing_one(*inputs):
        built = original(*inputs)
        lost.append(built.orderBy("loan_id").select("loan_id").first()["loan_id"])
        return built.where(F.col("loan_id") != lost[0])

    monkeypatch.setattr(gold_build, "build_feature_store", losing_one)
    datamart = tmp_path / "datamart"  # silver as a finished run left it; gold not built yet
    shutil.copytree(small_datamart, datamart, ignore=shutil.ignore_patterns("gold"))
    assert run_main("--datamart-dir", datamart, "--layers", "gold") == 1
    error = capsys.readouterr().err
    assert "gold/feature_store: 1 loan(s) in silver neither in the store nor held back" in error and lost[0] in error
    assert not (datamart / "gold" / "feature_store").exists()  # nothing published


def test_a_row_lost_between_bronze_and_silver_fails_the_run_and_names_the_month(
    small_datamart, tmp_path, monkeypatch, capsys
):
    """Silver's reconciliation counts the rows as written (bronze = silver + quarantine per
    month): a silver write that drops a row (a bug) fails the run with the counts."""
    original = silver_build.drop_hit_columns

    def losing_one(frame):
        written = original(frame)
        if "Occupation" not in written.columns:  # only attributes loses a row
            return written
        lost = written.where(F.col("snapshot_date") == "2023-02-01").orderBy("Customer_ID").first()
        return written.where((F.col("Customer_ID") != lost["Customer_ID"]) | (F.col("snapshot_date") != "2023-02-01"))

    monkeypatch.setattr(silver_build, "drop_hit_columns", losing_one)
    datamart = tmp_path / "datamart"
    shutil.copytree(small_datamart, datamart)
    bronze = pd.read_parquet(datamart / "bronze" / "features_attributes" / "snapshot_date=2023-02-01")
    assert run_main("--datamart-dir", datamart, "--layers", "silver") == 1
    error = capsys.readouterr().err
    assert (
        f"silver/attributes 2023-02-01: bronze has {len(bronze)} rows but silver has {len(bronze) - 1} and "
        "quarantine 0; rows were lost" in error
    ), error
