"""Gold end to end on generated data: completeness, point in time, and the planted trap."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

import main
from tests.end_to_end.test_main import run_main
from utils.gold.feature_store import build_feature_store
from utils.sources.registry import ATTRIBUTES, CLICKSTREAM, FINANCIALS, LOAN_DAILY, SOURCES


@pytest.fixture(scope="module")
def gold_run(spark, tmp_path_factory):
    """1,500 customers over 14 months: eight cohorts reach their label."""
    data = tmp_path_factory.mktemp("gold_data")
    main.generate_data(str(data), customers=1500, months=14, seed=11)
    datamart = tmp_path_factory.mktemp("gold_datamart")
    assert run_main("--data-dir", data, "--datamart-dir", datamart) == 0
    return data, datamart


def read(path):
    frame = pd.read_parquet(path)
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"].astype(str))
    return frame


def test_one_feature_row_per_application_and_one_label_per_mature_loan(gold_run):
    data, datamart = gold_run
    loans = pd.read_csv(data / LOAN_DAILY.file_name, dtype=str)
    features = read(datamart / "gold" / "feature_store")
    labels = read(datamart / "gold" / "label_store")
    assert features["loan_id"].is_unique and labels["loan_id"].is_unique
    assert set(features["loan_id"]) == set(loans.loc[loans["installment_num"] == "0", "loan_id"])
    assert set(labels["loan_id"]) == set(loans.loc[loans["installment_num"] == "6", "loan_id"])
    assert (labels["label_def"] == "30dpd_6mob").all()
    assert 0.15 < labels["label"].mean() < 0.40


def test_every_labelled_loan_has_its_application_features(gold_run):
    _, datamart = gold_run
    features = read(datamart / "gold" / "feature_store")
    labels = read(datamart / "gold" / "label_store")
    joined = labels.merge(features, on="loan_id", suffixes=("_label", ""))
    assert len(joined) == len(labels)
    # the label is observed six months after the application the features describe
    assert (
        (joined["snapshot_date_label"].dt.to_period("M") - joined["snapshot_date"].dt.to_period("M")).apply(
            lambda d: d.n
        )
        == 6
    ).all()


def test_applications_too_recent_for_a_label_are_still_scored(gold_run):
    _, datamart = gold_run
    features = read(datamart / "gold" / "feature_store")
    labels = read(datamart / "gold" / "label_store")
    unlabelled = features[~features["loan_id"].isin(labels["loan_id"])]
    assert unlabelled["snapshot_date"].min() == pd.Timestamp("2023-09-01")  # the last six cohorts
    assert len(unlabelled) > 0


def test_feature_lineage_is_never_after_the_application(gold_run):
    _, datamart = gold_run
    features = read(datamart / "gold" / "feature_store")
    for column in ("_attributes_as_of", "_financials_as_of", "_clickstream_last_month"):
        used = pd.to_datetime(features[column].dropna().astype(str))
        assert (used <= features.loc[used.index, "snapshot_date"]).all(), column


def out_of_time_auc(features: pd.DataFrame, labels: pd.DataFrame) -> float:
    """Train on the first six labelled cohorts, score the last two."""
    joined = labels[["loan_id", "label"]].merge(features, on="loan_id")
    columns = [
        c for c in features.columns if c not in ("loan_id", "Customer_ID", "snapshot_date") and not c.startswith("_")
    ]
    months = sorted(joined["snapshot_date"].unique())
    train, oot = joined[joined["snapshot_date"].isin(months[:-2])], joined[joined["snapshot_date"].isin(months[-2:])]
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, random_state=0)
    model.fit(train[columns].astype(float), train["label"])
    return roc_auc_score(oot["label"], model.predict_proba(oot[columns].astype(float))[:, 1])


def test_the_honest_store_stays_clearly_below_a_leaky_one(spark, gold_run):
    """The generator plants a trap: clickstream after the application moves with the outcome.
    A store that lets the window slide six months into the future must look better."""
    _, datamart = gold_run
    silver = {
        name: spark.read.parquet(str(datamart / "silver" / name))
        for name in ("loan_daily", "attributes", "financials", "clickstream")
    }
    future_clicks = silver["clickstream"].withColumn("snapshot_date", F.add_months("snapshot_date", -6))
    leaky = build_feature_store(
        silver["loan_daily"], silver["attributes"], silver["financials"], future_clicks
    ).toPandas()
    leaky["snapshot_date"] = pd.to_datetime(leaky["snapshot_date"].astype(str))
    labels = read(datamart / "gold" / "label_store")
    honest_auc = out_of_time_auc(read(datamart / "gold" / "feature_store"), labels)
    leaky_auc = out_of_time_auc(leaky, labels)
    assert honest_auc > 0.65, "the point-in-time features should carry real signal"
    assert leaky_auc > honest_auc + 0.05, (honest_auc, leaky_auc)


def test_rewriting_the_future_leaves_earlier_applications_unchanged(spark, small_data, small_datamart, tmp_path):
    """Every source row dated after T is rewritten; features of applications up to T must not move."""
    cutoff = pd.Timestamp("2023-04-01")
    rewritten = tmp_path / "rewritten"
    shutil.copytree(small_data, rewritten)
    rng = np.random.default_rng(0)
    for source in SOURCES:
        frame = pd.read_csv(small_data / source.file_name, dtype=str, keep_default_na=False)
        future = pd.to_datetime(frame["snapshot_date"]) > cutoff
        if source is CLICKSTREAM:
            for i in range(1, 21):
                frame.loc[future, f"fe_{i}"] = rng.integers(-500, 500, future.sum()).astype(str)
        if source is LOAN_DAILY:
            frame.loc[future, "overdue_amt"] = "3000.0"
        if source is ATTRIBUTES:
            frame.loc[future, "Age"] = "99"
        if source is FINANCIALS:
            frame.loc[future, "Annual_Income"] = "12345.0"
        frame.to_csv(rewritten / source.file_name, index=False)
    original, changed = small_datamart, tmp_path / "dm_changed"
    assert run_main("--data-dir", rewritten, "--datamart-dir", changed) == 0
    before, after = read(original / "gold" / "feature_store"), read(changed / "gold" / "feature_store")
    past = lambda frame: frame[frame["snapshot_date"] <= cutoff].sort_values("loan_id").reset_index(drop=True)  # noqa: E731
    assert len(past(before)) > 0
    pd.testing.assert_frame_equal(past(before), past(after), check_exact=True)  # byte for byte, not approximately
    # ...and the rewrite was strong enough to move later applications, so the test can fail.
    later = lambda frame: frame[frame["snapshot_date"] > cutoff].sort_values("loan_id").reset_index(drop=True)  # noqa: E731
    assert not later(before).equals(later(after))


def test_gold_for_one_month_reads_its_history_and_matches_the_full_run(spark, small_data, small_datamart, tmp_path):
    datamart = tmp_path / "dm"
    shutil.copytree(small_datamart, datamart)
    full = read(datamart / "gold" / "feature_store")
    month = "2023-07-01"
    assert (
        run_main(
            "--data-dir", small_data, "--datamart-dir", datamart, "--start", month, "--end", month, "--layers", "gold"
        )
        == 0
    )
    again = read(datamart / "gold" / "feature_store")
    pd.testing.assert_frame_equal(
        full.sort_values("loan_id").reset_index(drop=True),
        again.sort_values("loan_id").reset_index(drop=True),
        check_exact=True,
    )


def test_gold_says_which_silver_history_is_missing(spark, small_data, small_datamart, tmp_path, capsys):
    datamart = tmp_path / "dm"  # bronze built, silver and gold not yet
    shutil.copytree(small_datamart, datamart, ignore=shutil.ignore_patterns("silver", "gold"))
    month = "2023-07-01"
    assert (
        run_main(
            "--data-dir",
            small_data,
            "--datamart-dir",
            datamart,
            "--start",
            month,
            "--end",
            month,
            "--layers",
            "silver,gold",
        )
        == 2
    )
    message = capsys.readouterr().err
    assert "needs silver/" in message and "2023-02-01" in message and "--layers silver" in message


def test_gold_needs_the_whole_clickstream_history(spark, small_data, small_datamart, tmp_path, capsys):
    """July's features read every clickstream month up to July: January, before T-5, too."""
    datamart = tmp_path / "dm"
    shutil.copytree(small_datamart, datamart)
    shutil.rmtree(datamart / "silver" / "clickstream" / "snapshot_date=2023-01-01")
    month = "2023-07-01"
    argv = ("--data-dir", small_data, "--datamart-dir", datamart, "--start", month, "--end", month, "--layers", "gold")
    assert run_main(*argv) == 2
    message = capsys.readouterr().err
    assert "needs silver/clickstream for 2023-01-01, which is not built" in message
    assert "--start 2023-01-01 --end 2023-01-01 --layers silver" in message


def test_label_definition_follows_the_flags_and_is_never_mixed(spark, small_data, small_datamart, tmp_path, capsys):
    datamart = tmp_path / "dm"  # silver built, gold not yet
    shutil.copytree(small_datamart, datamart, ignore=shutil.ignore_patterns("gold"))
    assert run_main("--datamart-dir", datamart, "--layers", "gold", "--label-dpd", "60", "--label-mob", "3") == 0
    labels = read(datamart / "gold" / "label_store")
    assert set(labels["label_def"]) == {"60dpd_3mob"}
    assert labels["snapshot_date"].min() == pd.Timestamp("2023-04-01")  # first cohort's mob 3
    assert (
        run_main(
            "--data-dir",
            small_data,
            "--datamart-dir",
            datamart,
            "--start",
            "2023-08-01",
            "--end",
            "2023-08-01",
            "--layers",
            "gold",
        )
        == 2
    )
    assert "holds labels defined as 60dpd_3mob" in capsys.readouterr().err
    assert set(read(datamart / "gold" / "label_store")["label_def"]) == {"60dpd_3mob"}


def test_run_ends_with_the_sanity_check_and_records_it(gold_run, capsys):
    _, datamart = gold_run
    assert run_main("check", "--datamart-dir", datamart) == 0
    printed = capsys.readouterr().out
    assert "gradient_boosting    oot" in printed and "Leakage audit:" in printed
    runs = [json.loads(path.read_text()) for path in sorted((datamart / "_runs").glob("*.json"))]
    assert [run["command"] for run in runs] == ["run", "check"]
    for run in runs:
        check = run["sanity_check"]
        assert check["status"] == "ok" and check["audit"]["verdict"].startswith("No leakage found")
        oot = [row for row in check["metrics"] if row["split"] == "oot" and row["model"] == "gradient_boosting"][0]
        assert oot["auc"] > 0.65 and oot["rows"] > 100
    assert runs[0]["sanity_check"]["metrics"] == runs[1]["sanity_check"]["metrics"]  # same datamart, same numbers
