"""End-to-end runs of main.py on small generated data, in the test's Spark session."""

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import main
from tests.conftest import ROOT
from utils.sources.registry import ATTRIBUTES, CLICKSTREAM, SOURCES

SILVER_TABLES = [source.silver_table for source in SOURCES]


def run_main(*argv) -> int:
    return main.main([str(arg) for arg in argv])


def records(datamart: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((datamart / "_runs").glob("*.json"))]


def table(path: Path, drop=("_ingested_at",)) -> pd.DataFrame:
    """A parquet table as a sorted pandas frame, for exact comparison between runs."""
    frame = pd.read_parquet(path).drop(columns=list(drop), errors="ignore")
    frame["snapshot_date"] = frame["snapshot_date"].astype(str)
    frame = frame[sorted(frame.columns)]
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def all_tables(datamart: Path) -> dict[str, pd.DataFrame]:
    paths = [datamart / "bronze" / source.stem for source in SOURCES] + [
        datamart / "silver" / name for name in SILVER_TABLES
    ]
    paths += list((datamart / "silver" / "_quarantine").glob("*"))
    return {str(path.relative_to(datamart)): table(path) for path in paths}


def source_rows_per_month(data: Path, source) -> dict[str, int]:
    frame = pd.read_csv(data / source.file_name, dtype=str)
    return frame["snapshot_date"].value_counts().to_dict()


@pytest.fixture(scope="module")
def full_run(small_datamart):
    return small_datamart


def test_run_writes_every_table_and_month(full_run):
    for layer, names in (("bronze", [s.stem for s in SOURCES]), ("silver", SILVER_TABLES)):
        for name in names:
            months = sorted(p.name for p in (full_run / layer / name).glob("snapshot_date=*"))
            assert months == [f"snapshot_date=2023-{m:02d}-01" for m in range(1, 9)], f"{layer}/{name}"


def test_nothing_is_lost_from_file_to_silver(full_run, small_data):
    record = records(full_run)[-1]
    assert record["status"] == "succeeded"
    for source in SOURCES:
        in_file = source_rows_per_month(small_data, source)
        bronze = record["layers"]["bronze"][source.stem]
        assert {month: m["rows"] for month, m in bronze["months"].items()} == in_file
        silver = record["layers"]["silver"][source.silver_table]["months"]
        for month, counts in silver.items():
            assert counts["rows_in"] == in_file[month] == counts["rows_out"] + counts["rows_quarantined"]
            assert sum(counts["quarantined_by_rule"].values()) == counts["rows_quarantined"]
        assert len(pd.read_parquet(full_run / "silver" / source.silver_table)) == sum(
            m["rows_out"] for m in silver.values()
        )


def test_rule_hits_are_recorded_per_month(full_run):
    hits = records(full_run)[-1]["layers"]["silver"]["financials"]["months"]["2023-01-01"]["rule_hits"]
    assert hits["Credit_Mix_placeholder"] > 0 and "Annual_Income_out_of_range" in hits


def test_run_record_times_every_layer_and_table(full_run):
    record = records(full_run)[-1]
    assert set(record["seconds_by_layer"]) == {"bronze", "silver", "gold"}
    for layer, tables in record["layers"].items():
        assert all(0 < table["seconds"] <= record["seconds_by_layer"][layer] for table in tables.values()), layer
    steps = (
        sum(record["seconds_by_layer"].values()) + record["spark"]["start_seconds"] + record["sanity_check"]["seconds"]
    )
    assert steps <= record["seconds"]


def test_run_record_counts_the_spark_jobs_of_every_table(full_run):
    record = records(full_run)[-1]
    jobs = {
        f"{layer}/{name}": table["spark_jobs"]
        for layer, tables in record["layers"].items()
        for name, table in tables.items()
    }
    assert len(jobs) == 11 and all(isinstance(count, int) and count >= 1 for count in jobs.values()), jobs
    assert record["sanity_check"]["spark_jobs"] == 0  # a local datamart's stores are read with pyarrow


def test_a_run_in_a_session_that_lives_on_keeps_both_jit_compilers(full_run):
    # The test session is long-lived, as a notebook's is; `python main.py` gets C1 only
    # (asserted on the real process in tests/end_to_end/test_cluster.py).
    assert records(full_run)[-1]["spark"]["driver_jit"] == "C1 and C2"


def test_personal_data_stops_at_bronze(full_run):
    assert {"Name", "SSN"} <= set(pd.read_parquet(full_run / "bronze" / ATTRIBUTES.stem).columns)
    for path in [full_run / "silver" / name for name in SILVER_TABLES] + list(
        (full_run / "silver" / "_quarantine").glob("*")
    ):
        frame = pd.read_parquet(path)
        assert not {"Name", "SSN"} & set(frame.columns), path
        text = frame.select_dtypes("object").astype(str)
        assert not text.apply(lambda column: column.str.contains(r"^\d{3}-\d{2}-\d{4}$")).any().any(), path


def test_silver_types(spark, full_run):
    types = {}
    for name in SILVER_TABLES:
        types.update(dict(spark.read.parquet(str(full_run / "silver" / name)).dtypes))
    assert (
        types["snapshot_date"] == "date" and types["loan_start_date"] == "date" and types["first_missed_date"] == "date"
    )
    assert types["dpd"] == types["mob"] == types["installments_missed"] == types["Age"] == types["fe_1"] == "int"
    assert types["Annual_Income"] == types["overdue_amt"] == "double"
    assert types["Credit_History_Age_months"] == types["loan_type_payday_loan"] == "int"
    assert types["Credit_Mix"] == types["Occupation"] == "string"


def test_rerun_gives_the_same_datamart(full_run, small_data, tmp_path):
    datamart = tmp_path / "datamart"
    shutil.copytree(full_run, datamart)
    assert run_main("--data-dir", small_data, "--datamart-dir", datamart) == 0
    before, after = all_tables(full_run), all_tables(datamart)
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name, check_exact=True)
    assert len(records(datamart)) == 2
    # The session kept the query code it compiled for the first run (a fresh JVM compiles
    # about 250 classes): only what differs, such as bronze's ingestion time, is compiled again.
    compiled = records(datamart)[-1]["spark"]["code_generation"]
    assert compiled["classes_compiled"] <= 40, compiled


def test_month_by_month_equals_one_full_run(spark, tmp_path):
    data = tmp_path / "data"
    main.generate_data(str(data), customers=80, months=3, seed=3)
    whole, stepwise = tmp_path / "whole", tmp_path / "stepwise"
    assert run_main("--data-dir", data, "--datamart-dir", whole) == 0
    for month in ("2023-03-01", "2023-01-01", "2023-02-01"):  # out of order on purpose
        assert run_main("--data-dir", data, "--datamart-dir", stepwise, "--start", month, "--end", month) == 0
    expected, got = all_tables(whole), all_tables(stepwise)
    assert expected.keys() == got.keys()
    for name in expected:
        pd.testing.assert_frame_equal(expected[name], got[name], obj=name, check_exact=True)


def test_dirty_rows_are_rejected_or_quarantined_never_dropped(spark, small_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_data, data)
    with open(data / ATTRIBUTES.file_name, "a", encoding="utf-8") as handle:
        first_row = (small_data / ATTRIBUTES.file_name).read_text().splitlines()[1]
        handle.write(first_row + "\n")  # an exact repeat
        handle.write("CUS_0xdead,Jo,30,123-45-6789,Teacher,not a date\n")
        handle.write("CUS_0xbeef,Jo,30,123-45-6789,2023-01-01\n")  # a field short
    with open(data / CLICKSTREAM.file_name, "a", encoding="utf-8") as handle:
        handle.write(",".join(["1"] * 20) + ",,2023-02-01\n")  # no Customer_ID
    datamart = tmp_path / "datamart"
    assert run_main("--data-dir", data, "--datamart-dir", datamart) == 0
    rejects = pd.read_parquet(datamart / "bronze" / "_rejects" / ATTRIBUTES.stem)
    assert sorted(rejects["_reject_reason"]) == [
        "snapshot_date is not a date in YYYY-MM-DD, M/D/YYYY or M/D/YY",
        "wrong number of fields",
    ]
    held = pd.read_parquet(datamart / "silver" / "_quarantine" / "attributes")
    assert list(held["_quarantine_rule"]) == ["duplicate_row"]
    clicks_held = pd.read_parquet(datamart / "silver" / "_quarantine" / "clickstream")
    assert list(clicks_held["_quarantine_rule"]) == ["Customer_ID_missing"]
    record = records(datamart)[-1]
    file_rows = len((data / ATTRIBUTES.file_name).read_text().splitlines()) - 1  # all lines but the header
    bronze_rows = sum(m["rows"] for m in record["layers"]["bronze"][ATTRIBUTES.stem]["months"].values())
    assert bronze_rows + record["layers"]["bronze"][ATTRIBUTES.stem]["rows_rejected"] == file_rows


# ---- user errors: one sentence naming the file and the fix, exit code 2 -----------------------


def expect_user_error(capsys, argv, *fragments):
    assert run_main(*argv) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("error: ") and "Traceback" not in message and len(message.splitlines()) == 1
    for fragment in fragments:
        assert fragment in message, message


def broken_copy(small_data, tmp_path, name, content):
    data = tmp_path / "data"
    shutil.copytree(small_data, data)
    (data / name).write_text(content, encoding="utf-8")
    return data


def test_missing_data_folder(capsys, tmp_path):
    expect_user_error(
        capsys, ["--data-dir", tmp_path / "nowhere", "--datamart-dir", tmp_path / "dm"], "nowhere does not exist"
    )


def test_missing_file(capsys, small_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_data, data)
    (data / CLICKSTREAM.file_name).unlink()
    expect_user_error(capsys, ["--data-dir", data, "--datamart-dir", tmp_path / "dm"], "lacks feature_clickstream.csv")


def test_an_empty_data_folder_that_is_not_the_default_says_how_to_fill_it(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    expect_user_error(
        capsys,
        ["--data-dir", tmp_path / "empty", "--datamart-dir", tmp_path / "dm"],
        f"holds none of the four source files (lms_loan_daily.csv, feature_clickstream.csv, features_attributes.csv, "
        f"features_financials.csv); put them there, or write the synthetic set there with "
        f"`python main.py generate-data --out {tmp_path / 'empty'}`",
    )
    assert list((tmp_path / "empty").iterdir()) == []


def test_renamed_column(capsys, small_data, tmp_path):
    text = (small_data / ATTRIBUTES.file_name).read_text().replace("Occupation", "Job", 1)
    data = broken_copy(small_data, tmp_path, ATTRIBUTES.file_name, text)
    expect_user_error(
        capsys,
        ["--data-dir", data, "--datamart-dir", tmp_path / "dm"],
        "features_attributes.csv has the wrong header (missing Occupation; unexpected Job)",
    )


def test_missing_column(capsys, small_data, tmp_path):
    lines = (small_data / ATTRIBUTES.file_name).read_text().splitlines()
    text = "\n".join(",".join(line.split(",")[:2] + line.split(",")[3:]) for line in lines)
    data = broken_copy(small_data, tmp_path, ATTRIBUTES.file_name, text)
    expect_user_error(capsys, ["--data-dir", data, "--datamart-dir", tmp_path / "dm"], "missing Age")


def test_empty_file(capsys, small_data, tmp_path):
    data = broken_copy(small_data, tmp_path, "lms_loan_daily.csv", "")
    expect_user_error(capsys, ["--data-dir", data, "--datamart-dir", tmp_path / "dm"], "lms_loan_daily.csv is empty")


def test_start_after_end(capsys, small_data, tmp_path):
    expect_user_error(
        capsys,
        ["--data-dir", small_data, "--datamart-dir", tmp_path / "dm", "--start", "2023-05-01", "--end", "2023-02-01"],
        "--start 2023-05-01 is after --end 2023-02-01",
    )


def test_months_outside_the_data(spark, capsys, small_data, tmp_path):
    expect_user_error(
        capsys,
        ["--data-dir", small_data, "--datamart-dir", tmp_path / "dm", "--start", "2025-01-01"],
        "--start 2025-01-01 is outside the data, which covers 2023-01-01 to 2023-08-01",
    )
    bronze = tmp_path / "dm" / "bronze"  # the files were read, but nothing was published or left staged
    assert not bronze.exists() or sorted(path.name for path in bronze.iterdir()) == []


def test_silver_without_bronze(spark, capsys, tmp_path):
    expect_user_error(capsys, ["--datamart-dir", tmp_path / "dm", "--layers", "silver"], "no bronze tables yet")


def test_java_missing(small_data, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # no java on it
    completed = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--data-dir", str(small_data), "--datamart-dir", str(tmp_path / "dm")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().startswith("error: Java was not found; install Java 17")
    assert "Traceback" not in completed.stderr


# ---- the default data set ----------------------------------------------------------------------


@pytest.fixture
def fresh_clone(tmp_path, monkeypatch):
    """A working directory like a fresh clone (an empty data/), with a small default data set."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    generate = main.generate_data
    monkeypatch.setattr(main, "generate_data", lambda out, *_: generate(out, customers=60, months=3))
    return tmp_path


def test_fresh_clone_generates_synthetic_data_and_says_so(spark, fresh_clone, capsys):
    assert run_main() == 0
    assert "generating the default synthetic data set" in capsys.readouterr().out
    assert all((fresh_clone / "data" / source.file_name).exists() for source in SOURCES)
    assert records(fresh_clone / "datamart")[-1]["data"]["origin"] == "synthetic"


def test_user_files_are_never_overwritten_or_mixed(fresh_clone, capsys):
    (fresh_clone / "data" / ATTRIBUTES.file_name).write_text("mine\n")
    expect_user_error(capsys, [], "lacks lms_loan_daily.csv, feature_clickstream.csv, features_financials.csv")
    assert (fresh_clone / "data" / ATTRIBUTES.file_name).read_text() == "mine\n"
    expect_user_error(capsys, ["generate-data"], "already holds features_attributes.csv")


def test_edited_synthetic_files_count_as_user_data(spark, fresh_clone):
    assert run_main("--layers", "bronze") == 0
    with open(fresh_clone / "data" / ATTRIBUTES.file_name, "a") as handle:
        handle.write("CUS_0xnew,Jo,30,123-45-6789,Teacher,2023-01-01\n")
    assert run_main("--layers", "bronze") == 0
    assert [r["data"]["origin"] for r in records(fresh_clone / "datamart")] == ["synthetic", "user"]


def test_quick_revisions_each_keep_their_own_copy_of_what_they_replaced(spark, fresh_clone, monkeypatch):
    """Two ingestions in one second, then a third revision: every replaced version is kept
    whole under its own ingestion second (a shared one would let the third run's copy of
    the second version overwrite the copy of the first)."""
    attributes = fresh_clone / "data" / ATTRIBUTES.file_name

    def revise(occupation):
        edited = pd.read_csv(attributes, dtype=str)
        edited["Occupation"] = occupation
        edited.to_csv(attributes, index=False)

    class OneSecond(datetime):  # the clock of main.py's bronze stops: both runs start in it
        @classmethod
        def now(cls, tz=None):
            return stopped

    stopped = datetime.now(UTC)
    with monkeypatch.context() as clock:
        clock.setattr(main, "datetime", OneSecond)
        assert run_main("--layers", "bronze") == 0
        original = pd.read_csv(attributes, dtype=str)
        revise("Writer")
        assert run_main("--layers", "bronze") == 0
    revise("Pilot")
    assert run_main("--layers", "bronze") == 0
    history = fresh_clone / "datamart" / "bronze" / "_history" / ATTRIBUTES.stem
    kept = [pd.read_parquet(version) for version in sorted(history.glob("ingested_at=*"))]
    assert [len(version) for version in kept] == [len(original)] * 2
    assert set(kept[0]["Occupation"]) == set(original["Occupation"]) and set(kept[1]["Occupation"]) == {"Writer"}
