"""The sanity classifier: month splits, train-only preprocessing, and a run on small gold tables."""

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from threadpoolctl import threadpool_limits

from utils.checks.sanity_classifier import (
    UNMATCHED,
    ablation_sets,
    feature_columns,
    fit_on_train,
    format_results,
    load_training_set,
    make_models,
    run_ablation,
    run_sanity_check,
    split_by_month,
    with_split,
)
from utils.platform.spark_jobs import jobs_in_group, jobs_run
from utils.tables import feature_store_path, label_store_path

START = date(2023, 1, 1)
LOANS_PER_MONTH = 50
NO_FEATURE_ROW = 5  # this loan is labelled but has no feature row


UNKNOWN_LABEL_EVERY = 40  # every 40th loan (from the 8th) has a null label


def known_with_features(months: int) -> int:
    """The rows the training set should have: known label and a feature row."""
    return sum(
        1 for loan in range(months * LOANS_PER_MONTH) if loan % UNKNOWN_LABEL_EVERY != 7 and loan != NO_FEATURE_ROW
    )


def write_gold(spark, datamart_dir: str, months: int) -> None:
    """Label and feature stores where `signal` carries real (not perfect) signal, plus noise,
    a half-missing feature, an always-missing one and lineage dates on or before the month."""
    loans = spark.range(months * LOANS_PER_MONTH, numPartitions=1).select(
        F.col("id"),
        F.concat(F.lit("L"), F.col("id")).alias("loan_id"),
        F.concat(F.lit("C"), F.col("id")).alias("Customer_ID"),
        F.add_months(F.lit(START), (F.col("id") % months).cast("int")).alias("month"),
        F.randn(1).alias("signal"),
        F.randn(2).alias("noise"),
        F.rand(3).alias("draw"),
    )
    default_probability = 1 / (1 + F.exp(-(2.5 * F.col("signal") - 1)))
    (
        loans.select(
            "loan_id",
            "Customer_ID",
            F.when(F.col("id") % UNKNOWN_LABEL_EVERY == 7, F.lit(None))
            .otherwise((F.col("draw") < default_probability).cast("int"))
            .alias("label"),
            F.lit("30dpd_6mob").alias("label_def"),
            F.add_months("month", 6).alias("snapshot_date"),
        )
        .write.partitionBy("snapshot_date")
        .parquet(label_store_path(datamart_dir))
    )
    (
        loans.where(F.col("id") != NO_FEATURE_ROW)
        .select(
            "loan_id",
            "Customer_ID",
            "signal",
            "noise",
            F.when(F.col("id") % 2 == 0, F.col("signal") + F.col("noise")).alias("half_missing"),
            F.lit(None).cast("double").alias("always_missing"),
            F.col("month").alias("_attributes_as_of"),
            F.add_months("month", -1).alias("_financials_as_of"),
            F.when(F.col("id") % 3 != 0, F.col("month")).alias("_clickstream_last_month"),
            F.col("month").alias("snapshot_date"),
        )
        .write.partitionBy("snapshot_date")
        .parquet(feature_store_path(datamart_dir))
    )


@pytest.fixture(scope="module")
def datamart(spark, tmp_path_factory) -> str:
    folder = str(tmp_path_factory.mktemp("datamart"))
    write_gold(spark, folder, months=8)
    return folder


@pytest.mark.parametrize("count", [3, 4, 6, 9, 12, 18, 24])
def test_split_by_month_is_disjoint_ordered_and_puts_the_latest_months_out_of_time(count):
    months = list(pd.date_range("2022-01-01", periods=count, freq="MS"))
    shuffled_with_repeats = [months[i] for i in np.random.default_rng(count).permutation(count)] + months[:2]
    splits = split_by_month(shuffled_with_repeats)
    train, test, oot = splits["train"], splits["test"], splits["oot"]
    assert train and test and oot
    assert train + test + oot == months  # disjoint, complete, in order
    assert max(train) < min(test) and max(test) < min(oot)
    assert oot[-1] == months[-1]
    assert len(oot) == len(test) == max(1, round(count / 6))


def test_fewer_than_three_months_cannot_be_split():
    assert split_by_month([date(2023, 1, 1), date(2023, 2, 1), date(2023, 1, 1)]) is None


def test_imputer_and_scaler_are_fitted_on_the_training_months_only():
    frame = pd.DataFrame(
        {
            "split": ["train"] * 4 + ["test", "oot"],
            "label": [0, 1, 0, 1, 1, 0],
            "x": [1.0, 2.0, 3.0, np.nan, 100.0, 200.0],
        }
    )
    pipeline = fit_on_train(make_models()["logistic_regression"], frame, ["x"])
    train_median = frame.loc[frame["split"] == "train", "x"].median()
    assert train_median != frame["x"].median()  # the test would prove nothing otherwise
    assert pipeline.named_steps["impute"].statistics_[0] == pytest.approx(train_median)
    imputed_train_mean = frame.loc[frame["split"] == "train", "x"].fillna(train_median).mean()
    assert pipeline.named_steps["scale"].mean_[0] == pytest.approx(imputed_train_mean)


def test_gradient_boosting_sees_the_features_as_they_are_missing_values_included():
    """No imputer in front of the boosting (it doubled the columns and the fitting time): the
    model gets the one column, and a value missing where the loan went bad is its signal."""
    rows = 200
    label = np.arange(rows) % 2
    frame = pd.DataFrame({"split": "train", "label": label, "x": np.where(label == 1, np.nan, np.arange(rows) / rows)})
    pipeline = fit_on_train(make_models()["gradient_boosting"], frame, ["x"])
    assert pipeline[-1].n_features_in_ == 1
    missing_then_present = pipeline.predict_proba(np.array([[np.nan], [0.5]]))[:, 1]
    assert missing_then_present[0] > 0.9 > 0.1 > missing_then_present[1]


def test_feature_columns_leave_out_keys_lineage_month_and_label():
    columns = [
        "loan_id",
        "Customer_ID",
        "loan_amt",
        "_attributes_as_of",
        "fe_1_last",
        "snapshot_date",
        "application_month",
        "label",
        "label_def",
        "split",
    ]
    assert feature_columns(columns) == ["loan_amt", "fe_1_last"]


def test_training_set_has_known_labels_dated_at_the_application_month(spark, datamart):
    training_set = load_training_set(spark, datamart)
    assert len(training_set) == known_with_features(8)
    assert training_set.attrs[UNMATCHED] == 1
    assert training_set["label"].isin([0, 1]).all()
    assert training_set["application_month"].min() == pd.Timestamp(START)  # not the label month, 6 later


def test_end_to_end_on_small_gold_tables(spark, datamart):
    result = run_sanity_check(spark, datamart)
    assert result["status"] == "ok", result["message"]
    assert result["splits"]["oot"] == ["2023-08-01"] and result["splits"]["test"] == ["2023-07-01"]
    assert len(result["splits"]["train"]) == 6
    holdout = [row for row in result["metrics"] if row["split"] != "train"]
    assert {row["model"] for row in holdout} == {"gradient_boosting", "logistic_regression"}
    assert all(row["auc"] > 0.7 for row in holdout), holdout
    assert all(row["gini"] == pytest.approx(2 * row["auc"] - 1) for row in result["metrics"])
    assert sum(
        row["rows"] for row in result["metrics"] if row["model"] == "logistic_regression"
    ) == known_with_features(8)
    findings = {item["check"]: item["passed"] for item in result["audit"]["findings"]}
    assert findings["point in time"] and findings["no outcome inputs"] and findings["no near-perfect single feature"]
    assert json.loads(json.dumps(result)) == result
    assert "labelled loans without a feature row: 1." in result["text"]
    assert format_results(result["metrics"]) in result["text"]
    assert result["audit"]["verdict"] in result["text"]


def test_two_labelled_months_are_skipped_with_a_reason(spark, tmp_path):
    write_gold(spark, str(tmp_path), months=2)
    result = run_sanity_check(spark, str(tmp_path))
    assert result["status"] == "skipped"
    assert "2 application month(s)" in result["message"] and "3 are needed" in result["message"]
    json.dumps(result)


def test_missing_gold_tables_are_skipped_with_a_reason(spark, tmp_path):
    result = run_sanity_check(spark, str(tmp_path))
    assert result["status"] == "skipped" and "build the gold layer first" in result["message"]


def test_results_table_is_aligned():
    metrics = [
        {
            "model": "gradient_boosting",
            "split": "train",
            "months": "2023-01..2023-12",
            "rows": 12345,
            "label_rate": 0.2812,
            "auc": 0.81234,
            "gini": 0.62468,
        },
        {
            "model": "logistic_regression",
            "split": "oot",
            "months": "2024-03",
            "rows": 99,
            "label_rate": 0.3,
            "auc": None,
            "gini": None,
        },
    ]
    lines = format_results(metrics).splitlines()
    assert lines[0].split() == ["model", "split", "months", "rows", "label", "%", "AUC", "Gini"]
    assert "12,345" in lines[1] and "28.1" in lines[1] and "0.812" in lines[1] and "0.625" in lines[1]
    assert lines[2].split()[-2:] == ["n/a", "n/a"]
    assert len({len(line) for line in lines}) == 1  # right-aligned numbers end in the same column


def test_the_ablation_adds_each_clickstream_window_to_the_application_features():
    base = ["Age", "Annual_Income", "undeclared"]  # a column not declared counts as application data
    history = ["fe_1_mean_all", "fe_1_std_all", "click_months_with_data"]
    columns = [*base, *history, "fe_1_mean_3m", "fe_1_latest"]
    assert ablation_sets(columns) == {
        "financials and attributes": base,
        "+ clickstream_all": [*base, *history],
        "+ clickstream_3m": [*base, "fe_1_mean_3m"],
        "+ clickstream_latest": [*base, "fe_1_latest"],
        "+ all clickstream": columns,
    }


def test_the_ablations_last_row_is_the_sanity_checks_own_fit(spark, datamart):
    """The last set is every column: the check reuses its own fit instead of repeating it."""
    training_set = load_training_set(spark, datamart)
    training_set = with_split(training_set, split_by_month(list(training_set["application_month"].unique())))
    with threadpool_limits(limits=1):
        refitted = run_ablation(training_set, feature_columns(training_set.columns))
    assert run_sanity_check(spark, datamart)["ablation"] == refitted


def test_a_local_datamart_is_read_without_spark_jobs_and_as_spark_reads_it(spark, datamart):
    """pyarrow and pandas for a local folder; the same frame, types and count as Spark's join
    (taken for a URI; file:// is one)."""
    with jobs_in_group(spark, "local training set"):
        local = load_training_set(spark, datamart)
    through_spark = load_training_set(spark, Path(datamart).as_uri())
    assert jobs_run(spark, "local training set") == 0
    pd.testing.assert_frame_equal(local, through_spark, check_exact=True)
    assert local.attrs == through_spark.attrs == {UNMATCHED: 1}
    assert local["label"].dtype == "int32" and list(local["loan_id"]) == sorted(local["loan_id"])
