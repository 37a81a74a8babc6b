"""Leakage audit: is the sanity classifier's score honest, or too good to be true?

Four checks, each a finding {"check", "passed", "detail"}:
  point in time                   every lineage date is on or before the application month
  no outcome inputs               no feature reads how the loan went after it started
  no near-perfect single feature  no feature alone predicts the label almost perfectly
  out-of-time vs test AUC         the model does not score clearly better on later months

Pure pandas in, findings out, so tests can feed hand-made frames. The training set has one
row per labelled loan with `application_month`, `label`, `split` (train / test / oot), the
feature columns and the lineage columns of the feature store.
"""

import pandas as pd
from scipy.stats import rankdata

from utils.gold.feature_store import LINEAGE
from utils.gold.features import Feature

TARGET = "label"
GRADIENT_BOOSTING = "gradient_boosting"  # the flexible model is the one that would exploit a leak
# Silver loan_daily columns that describe the loan after it started: a feature reading them
# knows the outcome. installment_num is mob under its source name.
OUTCOME_COLUMNS = frozenset(
    {
        "dpd",
        "overdue_amt",
        "paid_amt",
        "balance",
        "installments_missed",
        "first_missed_date",
        "mob",
        "installment_num",
        "due_amt",
    }
)
MAX_SINGLE_FEATURE_AUC = 0.95
MAX_OOT_AUC_GAIN = 0.05

POINT_IN_TIME = "point in time"
NO_OUTCOME_INPUTS = "no outcome inputs"
NO_NEAR_PERFECT_FEATURE = "no near-perfect single feature"
OOT_VS_TEST = "out-of-time vs test AUC"


def finding(check: str, passed: bool, detail: str) -> dict:
    return {"check": check, "passed": bool(passed), "detail": detail}


def point_in_time(training_set: pd.DataFrame) -> dict:
    """Counts, per lineage column, the rows whose source month is after the application month."""
    present = [column for column in LINEAGE if column in training_set.columns]
    if not present:
        return finding(
            POINT_IN_TIME,
            False,
            "the training set has no lineage columns, so the point-in-time rule cannot be verified",
        )
    application_month = pd.to_datetime(training_set["application_month"])
    violations = {column: int((pd.to_datetime(training_set[column]) > application_month).sum()) for column in present}
    rows = len(training_set)
    broken = [f"{column} on {count:,} of {rows:,} rows" for column, count in violations.items() if count]
    if broken:
        return finding(POINT_IN_TIME, False, f"source month after the application month: {', '.join(broken)}")
    return finding(
        POINT_IN_TIME,
        True,
        f"all {rows:,} rows use source months on or before the application month ({', '.join(present)})",
    )


def no_outcome_inputs(feature_columns: list[str], features_catalogue: list[Feature]) -> dict:
    """Features declared with an outcome input, and columns named like an outcome or the label."""
    by_input = [
        f"{feature.name} reads {', '.join(sorted(OUTCOME_COLUMNS & set(feature.inputs)))}"
        for feature in features_catalogue
        if OUTCOME_COLUMNS & set(feature.inputs)
    ]
    by_name = [f"column {name}" for name in feature_columns if name in OUTCOME_COLUMNS | {TARGET}]
    problems = by_input + by_name
    if problems:
        return finding(NO_OUTCOME_INPUTS, False, f"derived from loan outcomes: {'; '.join(problems)}")
    return finding(
        NO_OUTCOME_INPUTS,
        True,
        f"none of {len(features_catalogue)} declared features or {len(feature_columns)} columns uses a loan outcome column",
    )


def univariate_auc(values: pd.Series, labels: pd.Series) -> float | None:
    """How well one feature alone separates the labels (0 or 1), direction-free (0.5 to 1);
    None when undefined. The Mann-Whitney form of the ROC AUC, ties at half, as
    roc_auc_score computes it, from ranks: about 3x faster, 159 features per audit."""
    known = values.notna()
    scores, positive = values[known].to_numpy(dtype=float), labels[known].to_numpy() == 1
    positives, negatives = int(positive.sum()), int((~positive).sum())
    if positives == 0 or negatives == 0 or scores.min() == scores.max():
        return None
    rank_sum = float(rankdata(scores)[positive].sum())
    auc = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
    return max(auc, 1 - auc)


def no_near_perfect_feature(training_set: pd.DataFrame, feature_columns: list[str]) -> dict:
    train = training_set[training_set["split"] == "train"]
    strengths = {column: univariate_auc(train[column], train[TARGET]) for column in feature_columns}
    strengths = {column: auc for column, auc in strengths.items() if auc is not None}
    if not strengths:
        return finding(NO_NEAR_PERFECT_FEATURE, True, "no feature varies on the training months")
    too_strong = sorted(
        (column for column, auc in strengths.items() if auc > MAX_SINGLE_FEATURE_AUC), key=strengths.get, reverse=True
    )
    if too_strong:
        named = ", ".join(f"{column} (AUC {strengths[column]:.3f})" for column in too_strong)
        return finding(
            NO_NEAR_PERFECT_FEATURE,
            False,
            f"alone predicts the label almost perfectly on the training months: {named}; limit {MAX_SINGLE_FEATURE_AUC}",
        )
    strongest = max(strengths, key=strengths.get)
    return finding(
        NO_NEAR_PERFECT_FEATURE,
        True,
        f"strongest single feature on the training months: {strongest} "
        f"(AUC {strengths[strongest]:.3f}, limit {MAX_SINGLE_FEATURE_AUC})",
    )


def auc_standard_error(auc: float, rows: int, label_rate: float) -> float:
    """Hanley & McNeil (1982): how much an AUC moves by chance with this many goods and bads."""
    bad = max(round(rows * label_rate), 1)
    good = max(rows - bad, 1)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (bad - 1) * (q1 - auc**2) + (good - 1) * (q2 - auc**2)) / (bad * good)
    return max(variance, 0.0) ** 0.5


def oot_not_above_test(metrics: list[dict]) -> dict:
    """A model that does clearly better on later months than on earlier unseen ones may see the future.

    "Clearly" means more than MAX_OOT_AUC_GAIN and more than two standard errors of the
    difference, so a small out-of-time sample does not raise a false alarm."""
    rows = {row["split"]: row for row in metrics if row["model"] == GRADIENT_BOOSTING}
    test, oot = rows.get("test"), rows.get("oot")
    if test is None or oot is None or test["auc"] is None or oot["auc"] is None:
        return finding(
            OOT_VS_TEST,
            True,
            f"not checked: {GRADIENT_BOOSTING} has no test or out-of-time AUC (one label value only?)",
        )
    gain = oot["auc"] - test["auc"]
    noise = (
        2
        * (
            auc_standard_error(test["auc"], test["rows"], test["label_rate"]) ** 2
            + auc_standard_error(oot["auc"], oot["rows"], oot["label_rate"]) ** 2
        )
        ** 0.5
    )
    limit = max(MAX_OOT_AUC_GAIN, noise)
    return finding(
        OOT_VS_TEST,
        gain <= limit,
        f"{GRADIENT_BOOSTING} out-of-time AUC {oot['auc']:.3f} vs test {test['auc']:.3f} "
        f"({gain:+.3f}, limit +{limit:.3f}: the larger of {MAX_OOT_AUC_GAIN} and two standard errors)",
    )


def audit(
    training_set: pd.DataFrame, feature_columns: list[str], features_catalogue: list[Feature], metrics: list[dict]
) -> list[dict]:
    return [
        point_in_time(training_set),
        no_outcome_inputs(feature_columns, features_catalogue),
        no_near_perfect_feature(training_set, feature_columns),
        oot_not_above_test(metrics),
    ]


def verdict(findings: list[dict]) -> str:
    failed = [item for item in findings if not item["passed"]]
    if not failed:
        return f"No leakage found: all {len(findings)} checks passed ({', '.join(item['check'] for item in findings)})."
    return "LEAKAGE SUSPECTED: " + "; ".join(f"{item['check']} failed ({item['detail']})" for item in failed) + "."
