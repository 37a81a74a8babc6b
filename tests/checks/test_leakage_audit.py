"""The leakage audit on hand-made frames: a clean frame passes, each kind of leak is caught."""

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from sklearn.metrics import roc_auc_score

from utils.checks.leakage_audit import (
    GRADIENT_BOOSTING,
    NO_NEAR_PERFECT_FEATURE,
    NO_OUTCOME_INPUTS,
    OOT_VS_TEST,
    POINT_IN_TIME,
    auc_standard_error,
    audit,
    univariate_auc,
    verdict,
)
from utils.gold.feature_store import FEATURES
from utils.gold.features import Feature

MONTHS = pd.date_range("2023-01-01", periods=6, freq="MS")
SPLIT_OF_MONTH = dict(zip(MONTHS, ["train"] * 4 + ["test", "oot"], strict=True))
HONEST_METRICS = [
    {"model": GRADIENT_BOOSTING, "split": "test", "auc": 0.72, "rows": 5000, "label_rate": 0.3},
    {"model": GRADIENT_BOOSTING, "split": "oot", "auc": 0.74, "rows": 5000, "label_rate": 0.3},
]


def clean_frame(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """A modest real signal, noise, missing values and lineage dates on or before the month."""
    rng = np.random.default_rng(seed)
    month = pd.Series(MONTHS[np.arange(rows) % len(MONTHS)])
    signal = rng.normal(size=rows)
    label = (signal + rng.normal(size=rows) > 0.5).astype(int)
    return pd.DataFrame(
        {
            "loan_id": [f"L{i}" for i in range(rows)],
            "application_month": month,
            "split": month.map(SPLIT_OF_MONTH),
            "label": label,
            "signal": signal,
            "noise": np.where(rng.random(rows) < 0.3, np.nan, rng.normal(size=rows)),
            "constant": 1.0,
            "_attributes_as_of": month - pd.DateOffset(months=3),
            "_financials_as_of": month,
            "_clickstream_last_month": month.where(rng.random(rows) < 0.5),  # NaT: no clickstream
        }
    )


def by_check(findings: list[dict]) -> dict[str, dict]:
    return {item["check"]: item for item in findings}


def run_audit(frame, columns=("signal", "noise", "constant"), catalogue=FEATURES, metrics=HONEST_METRICS):
    return by_check(audit(frame, list(columns), catalogue, metrics))


def failed_checks(findings: dict[str, dict]) -> set[str]:
    return {check for check, item in findings.items() if not item["passed"]}


def test_clean_frame_passes_every_check():
    findings = run_audit(clean_frame())
    assert failed_checks(findings) == set()
    assert "signal" in findings[NO_NEAR_PERFECT_FEATURE]["detail"]  # named as the strongest
    assert verdict(list(findings.values())).startswith("No leakage found: all 4 checks passed")


@pytest.mark.parametrize("direction", [1, -1])
def test_label_plus_tiny_noise_is_caught_whatever_its_direction(direction):
    frame = clean_frame()
    frame["leaky"] = direction * frame["label"] + np.random.default_rng(1).normal(scale=0.01, size=len(frame))
    findings = run_audit(frame, columns=("signal", "noise", "leaky"))
    assert failed_checks(findings) == {NO_NEAR_PERFECT_FEATURE}
    assert "leaky" in findings[NO_NEAR_PERFECT_FEATURE]["detail"]
    assert "signal" not in findings[NO_NEAR_PERFECT_FEATURE]["detail"]
    line = verdict(list(findings.values()))
    assert line.startswith("LEAKAGE SUSPECTED:") and NO_NEAR_PERFECT_FEATURE in line and "leaky" in line


@pytest.mark.parametrize("leaky_split, caught", [("train", True), ("test", False)])
def test_near_perfect_feature_is_judged_on_the_training_months_only(leaky_split, caught):
    frame = clean_frame()
    frame["leaky_somewhere"] = frame["label"].where(frame["split"] == leaky_split, frame["noise"])
    assert run_audit(frame, columns=("leaky_somewhere",))[NO_NEAR_PERFECT_FEATURE]["passed"] is not caught


def test_lineage_date_after_the_application_month_is_caught():
    frame = clean_frame()
    future = frame.index[[3, 10, 50]]
    frame.loc[future, "_financials_as_of"] = frame.loc[future, "application_month"] + pd.DateOffset(months=1)
    findings = run_audit(frame)
    assert failed_checks(findings) == {POINT_IN_TIME}
    assert "_financials_as_of on 3 of 600 rows" in findings[POINT_IN_TIME]["detail"]


def test_lineage_as_python_dates_is_compared_as_dates():
    frame = clean_frame()
    for column in ("application_month", "_attributes_as_of", "_financials_as_of"):
        frame[column] = frame[column].dt.date
    frame.loc[0, "_attributes_as_of"] = frame.loc[0, "application_month"] + pd.DateOffset(days=1)
    assert "_attributes_as_of on 1 of 600 rows" in run_audit(frame)[POINT_IN_TIME]["detail"]


def test_feature_declared_with_an_outcome_input_is_caught():
    days_late = Feature("days_late", "loan_daily", ("loan_amt", "dpd"), "days past due", lambda: F.col("dpd"))
    findings = run_audit(clean_frame(), catalogue=[*FEATURES, days_late])
    assert failed_checks(findings) == {NO_OUTCOME_INPUTS}
    assert "days_late reads dpd" in findings[NO_OUTCOME_INPUTS]["detail"]


@pytest.mark.parametrize("name", ["overdue_amt", "label"])
def test_column_named_like_an_outcome_or_the_label_is_caught(name):
    frame = clean_frame().assign(**{name: lambda f: f["label"]})  # for "label": the target itself
    findings = run_audit(frame, columns=("signal", name))
    assert not findings[NO_OUTCOME_INPUTS]["passed"]
    assert f"column {name}" in findings[NO_OUTCOME_INPUTS]["detail"]


def split_row(split: str, auc: float, rows: int, model: str = GRADIENT_BOOSTING) -> dict:
    return {"model": model, "split": split, "auc": auc, "rows": rows, "label_rate": 0.3}


@pytest.mark.parametrize("oot_auc, passed", [(0.80, False), (0.76, True), (0.60, True)])
def test_out_of_time_far_above_test_is_caught(oot_auc, passed):
    metrics = [
        split_row("test", 0.72, 5000),
        split_row("oot", oot_auc, 5000),
        split_row("oot", 0.99, 5000, model="logistic_regression"),
    ]  # only the boosted model counts
    findings = run_audit(clean_frame(), metrics=metrics)
    assert findings[OOT_VS_TEST]["passed"] is passed
    assert f"{oot_auc:.3f}" in findings[OOT_VS_TEST]["detail"]


def test_a_gap_within_the_noise_of_small_splits_is_not_an_alarm():
    """Thirty loans per split: an AUC gap of 0.15 is well within chance."""
    small = run_audit(clean_frame(), metrics=[split_row("test", 0.70, 30), split_row("oot", 0.85, 30)])
    large = run_audit(clean_frame(), metrics=[split_row("test", 0.70, 5000), split_row("oot", 0.85, 5000)])
    assert small[OOT_VS_TEST]["passed"] and not large[OOT_VS_TEST]["passed"]


def test_auc_standard_error_shrinks_with_sample_size():
    assert auc_standard_error(0.8, 100, 0.3) > auc_standard_error(0.8, 10000, 0.3) > 0
    assert auc_standard_error(0.8, 100, 0.3) == pytest.approx(0.0527, abs=0.0005)  # Hanley & McNeil, 30 bad, 70 good


def test_a_single_features_auc_is_roc_auc_score_direction_free_with_ties_and_gaps():
    rng = np.random.default_rng(3)
    labels = pd.Series(rng.integers(0, 2, 500))
    values = pd.Series(np.round(rng.normal(size=500) + labels, 1))  # rounded: many ties
    values[rng.random(500) < 0.2] = np.nan
    known = values.notna()
    expected = roc_auc_score(labels[known], values[known])
    assert univariate_auc(values, labels) == pytest.approx(max(expected, 1 - expected), abs=1e-12)
    assert univariate_auc(-values, labels) == pytest.approx(max(expected, 1 - expected), abs=1e-12)
    assert univariate_auc(pd.Series([1.0, 1.0, np.nan]), pd.Series([0, 1, 1])) is None  # one value
    assert univariate_auc(pd.Series([1.0, 2.0, 3.0]), pd.Series([1, 1, 0])) == 1.0  # perfectly separated
    assert univariate_auc(pd.Series([1.0, 2.0, np.nan]), pd.Series([1, 1, 0])) is None  # one label left
