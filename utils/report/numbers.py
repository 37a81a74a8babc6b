"""What the deck says, as plain numbers taken from the run records and the gold tables.

Every run writes a record under datamart/_runs/. A run may rebuild only some months
(--start/--end) or layers, and `check` records only the sanity classifier, so the
datamart's current state is the succeeded records folded oldest to newest: a month's counts
come from the last run that wrote that month, the classifier's results from the last check.
For a single full run that is exactly its record.

Pure functions on plain dicts and small pandas frames, so tests can feed hand-made records.
"""

from datetime import date

import pandas as pd

from utils.gold.feature_drift import SIGNIFICANT_PSI
from utils.platform.errors import UserError
from utils.silver.quality_rules import RULES, Action
from utils.sources.months import add_months
from utils.sources.registry import SOURCES

GOLD_TABLES = ("label_store", "feature_store", "feature_drift")


# ---- the datamart's state from its run records ------------------------------------------------


def datamart_state(records: list[dict]) -> dict:
    """The succeeded records folded oldest to newest into one record-shaped dict."""
    succeeded = sorted(
        (record for record in records if record.get("status") == "succeeded"), key=lambda record: record["started_at"]
    )
    if not succeeded:
        raise UserError("the datamart has no succeeded run record in _runs/; build it first with `python main.py`.")
    layers: dict = {}
    for record in succeeded:
        for layer, tables in record.get("layers", {}).items():
            for table, details in tables.items():
                merged = layers.setdefault(layer, {}).setdefault(table, {"months": {}})
                merged.update({key: value for key, value in details.items() if key != "months"})
                merged["months"].update(details.get("months", {}))
    runs = [record for record in succeeded if record["command"] == "run"] or succeeded
    with_data = [record for record in succeeded if record.get("data")]
    checks = [record["sanity_check"] for record in succeeded if record.get("sanity_check")]
    return {
        "run_id": succeeded[-1]["run_id"],
        "runs": len(succeeded),
        "last_run": runs[-1],
        "data": with_data[-1]["data"] if with_data else {},
        "months": sorted(
            {month for tables in layers.values() for table in tables.values() for month in table["months"]}
        ),
        "layers": layers,
        "sanity_check": checks[-1] if checks else None,
    }


def _months_with_rows(table: dict, key: str = "rows") -> dict[str, int]:
    return {month: counts[key] for month, counts in sorted(table["months"].items()) if counts.get(key)}


def label_mob(state: dict) -> int:
    return state["last_run"]["parameters"].get("label_mob", 6)


# ---- slide numbers ----------------------------------------------------------------------------


def headline(state: dict) -> dict:
    """Applications, labelled loans and their default rate, and the months covered."""
    gold = state["layers"].get("gold", {})
    features = gold.get("feature_store", {"months": {}})
    labels = gold.get("label_store", {"months": {}, "label_def": "n/a"})
    known = sum(m["rows"] - m.get("unknown", 0) for m in labels["months"].values())
    bad = sum(m["bad"] for m in labels["months"].values())
    return {
        "applications": sum(_months_with_rows(features).values()),
        "labelled": known,
        "bad": bad,
        "bad_rate": bad / known if known else None,
        "label_def": labels.get("label_def", "n/a"),
        "months": len(state["months"]),
        "first_month": state["months"][0] if state["months"] else None,
        "last_month": state["months"][-1] if state["months"] else None,
        "origin": state["data"].get("origin", "unknown"),
    }


def layer_inventory(state: dict) -> list[dict]:
    """One row per table: layer, table, grain, what the month partition means, months and rows."""
    layers, mob = state["layers"], label_mob(state)
    rows = []
    for source in SOURCES:
        if source.stem in layers.get("bronze", {}):
            table = layers["bronze"][source.stem]
            rows.append(
                {
                    "layer": "bronze",
                    "table": source.stem,
                    "grain": source.grain,
                    "partition": "snapshot month",
                    "months": len(_months_with_rows(table)),
                    "rows": sum(_months_with_rows(table).values()),
                }
            )
    for source in SOURCES:
        if source.silver_table in layers.get("silver", {}):
            table = layers["silver"][source.silver_table]
            rows.append(
                {
                    "layer": "silver",
                    "table": source.silver_table,
                    "grain": source.grain,
                    "partition": "snapshot month",
                    "months": len(_months_with_rows(table, "rows_out")),
                    "rows": sum(_months_with_rows(table, "rows_out").values()),
                }
            )
    grains = {
        "label_store": (f"one row per loan at month {mob} on book", "label month"),
        "feature_store": ("one row per loan application", "application month"),
        "feature_drift": ("one row per feature and application month", "application month"),
    }
    for name in GOLD_TABLES:
        if name in layers.get("gold", {}):
            table = layers["gold"][name]
            grain, partition = grains[name]
            rows.append(
                {
                    "layer": "gold",
                    "table": name,
                    "grain": grain,
                    "partition": partition,
                    "months": len(_months_with_rows(table)),
                    "rows": sum(_months_with_rows(table).values()),
                }
            )
    return rows


def declared_rule(table: str, name: str) -> dict:
    """The action and column of a rule as declared in utils/silver/quality_rules.py."""
    for rule in RULES.get(table, []):
        if rule.name == name:
            return {"action": rule.action.value, "column": rule.column}
    return {"action": "unknown", "column": ""}


def rule_hits(state: dict) -> list[dict]:
    """Every silver rule that fired, with its table, action and hits over all months, most first."""
    totals: dict[tuple[str, str], int] = {}
    for table, details in state["layers"].get("silver", {}).items():
        for counts in details["months"].values():
            fired = {**counts.get("rule_hits", {}), **counts.get("quarantined_by_rule", {})}
            for rule, hits in fired.items():
                totals[(table, rule)] = totals.get((table, rule), 0) + hits
    hits = [
        {"table": table, "rule": rule, **declared_rule(table, rule), "hits": count}
        for (table, rule), count in totals.items()
        if count
    ]
    return sorted(hits, key=lambda item: (-item["hits"], item["table"], item["rule"]))


def cleaning_totals(state: dict) -> dict:
    """Values nulled and repaired, rows quarantined in silver, rows rejected in bronze."""
    hits = rule_hits(state)
    by_action = {
        action.value: sum(item["hits"] for item in hits if item["action"] == action.value)
        for action in (Action.NULL_VALUE, Action.REPAIR_VALUE)
    }
    silver = state["layers"].get("silver", {}).values()
    return {
        **by_action,
        "quarantined_rows": sum(m["rows_quarantined"] for table in silver for m in table["months"].values()),
        "rejected_rows": sum(table.get("rows_rejected", 0) for table in state["layers"].get("bronze", {}).values()),
        "rules_fired": len(hits),
    }


def label_rates(state: dict) -> list[dict]:
    """Per application cohort (observation month minus the label's months on book): loans and default rate."""
    labels = state["layers"].get("gold", {}).get("label_store", {"months": {}})
    mob = label_mob(state)
    cohorts = []
    for month, counts in sorted(labels["months"].items()):
        known = counts["rows"] - counts.get("unknown", 0)
        if known:
            cohorts.append(
                {
                    "cohort": add_months(date.fromisoformat(month), -mob).isoformat(),
                    "observed": month,
                    "loans": known,
                    "bad": counts["bad"],
                    "rate": counts["bad"] / known,
                }
            )
    return cohorts


def classifier_results(state: dict) -> dict | None:
    """AUC, rows and months per model and split, and the leakage audit, as recorded; None when not run."""
    check = state["sanity_check"]
    if not check or check.get("status") != "ok":
        return None
    auc: dict[str, dict] = {}
    for row in check["metrics"]:
        auc.setdefault(row["model"], {})[row["split"]] = row["auc"]
    return {
        "auc": auc,
        "rows": {row["split"]: row["rows"] for row in check["metrics"]},
        "months": {split: (months[0], months[-1]) for split, months in check["splits"].items() if months},
        "checks": [(item["check"], item["passed"]) for item in check["audit"]["findings"]],
        "ablation": check.get("ablation", []),
        "verdict": check["audit"]["verdict"],
    }


def drift_overview(drift: pd.DataFrame, top: int = 20) -> dict:
    """From the gold/feature_drift rows (feature, psi, in_reference, snapshot_date as text): the PSI
    matrix of the `top` features that drift most after the reference window, and per month the
    number of features at or above the significant threshold."""
    drift = drift.assign(snapshot_date=drift["snapshot_date"].astype(str))
    matrix = drift.pivot(index="feature", columns="snapshot_date", values="psi").sort_index(axis=1)
    reference = sorted(drift.loc[drift["in_reference"], "snapshot_date"].unique())
    after = [month for month in matrix.columns if month > reference[-1]]
    scored = matrix[after] if after else matrix
    drifting_after = int((scored >= SIGNIFICANT_PSI).any(axis=1).sum()) if after else 0
    order = scored.max(axis=1).sort_values(ascending=False, kind="stable").index[:top]
    return {
        "matrix": matrix.loc[order],
        "reference": reference,
        "features": len(matrix),
        "drifting_after_reference": drifting_after,
        "significant_per_month": {month: int((matrix[month] >= SIGNIFICANT_PSI).sum()) for month in matrix.columns},
        "applications_per_month": drift.groupby("snapshot_date")["applications"].max().astype(int).to_dict(),
    }


def sampling_noise_psi(month_rows: int, reference_rows: int, bins: int = 11) -> float:
    """The PSI two samples of the same population show by chance alone, about
    (bins - 1) * (1/n + 1/N): small months read as drifting even when nothing changed."""
    return (bins - 1) * (1 / month_rows + 1 / reference_rows)
