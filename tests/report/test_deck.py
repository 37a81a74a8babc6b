"""The run report on a small generated datamart: 10 slides of 16:9, and the numbers on them are the run record's."""

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from utils.gold.feature_drift import build_feature_drift
from utils.platform.run_record import _plain
from utils.report.deck import DECK, NUMBERS, write_report
from utils.report.numbers import datamart_state
from utils.sources.months import add_months

SLIDES = 10


@pytest.fixture(scope="module")
def report(spark, labelled_run, tmp_path_factory):
    """The report on a copy of the shared labelled datamart (400 customers over 12 months)."""
    datamart = tmp_path_factory.mktemp("report") / "datamart"
    shutil.copytree(labelled_run[1], datamart)
    record_path = sorted((datamart / "_runs").glob("*.json"))[-1]
    record = json.loads(record_path.read_text())
    if "feature_drift" not in record["layers"]["gold"]:  # as run_gold records it once it runs the drift job
        record["layers"]["gold"]["feature_drift"] = _plain(build_feature_drift(spark, str(datamart)))
        record_path.write_text(json.dumps(record))
    out = tmp_path_factory.mktemp("reports")
    paths = write_report(spark, str(datamart), str(out))
    shown = json.loads((out / NUMBERS).read_text())["slides"]
    return {"record": record, "out": out, "paths": paths, "shown": shown, "pdf": PdfReader(out / DECK)}


def rows(table: dict, key: str = "rows") -> int:
    return sum(month[key] for month in table["months"].values())


def people(number: int) -> str:
    return f"{number:,}"


def test_the_deck_has_ten_slides_of_16_9(report):
    pages = report["pdf"].pages
    assert len(pages) == SLIDES
    for page in pages:
        assert float(page.mediabox.width) / float(page.mediabox.height) == pytest.approx(16 / 9, abs=1e-3)


def test_every_slide_and_figure_is_written_as_png(report):
    out = report["out"]
    slides = sorted((out / "slides").glob("*.png"))
    assert len(slides) == SLIDES
    for path in slides:
        width, height = Image.open(path).size
        assert width / height == pytest.approx(16 / 9, abs=2e-3) and width >= 1920
    figures = {path.stem for path in (out / "figures").glob("*.png")}
    assert {
        "medallion_flow",
        "rule_hits",
        "label_rate_by_cohort",
        "point_in_time",
        "roc_curve",
        "ablation",
        "feature_drift_heatmap",
    } <= figures
    assert {Path(path) for path in report["paths"]} == {
        out / DECK,
        out / NUMBERS,
        *slides,
        *(out / "figures").glob("*.png"),
    }


def test_counts_on_the_slides_are_the_run_records(report):
    record, shown = report["record"], report["shown"]
    layers = record["layers"]
    labels = layers["gold"]["label_store"]
    labelled = rows(labels) - rows(labels, "unknown")
    assert shown["problem"]["applications"] == people(rows(layers["gold"]["feature_store"]))
    assert shown["problem"]["labelled"] == people(labelled)
    assert shown["problem"]["bad_rate"] == f"{100 * rows(labels, 'bad') / labelled:.1f}%"
    for stem, table in layers["bronze"].items():
        assert shown["layers"][f"bronze/{stem}"] == shown["medallion_flow"][f"bronze/{stem}"] == people(rows(table))
    for name, table in layers["silver"].items():
        assert shown["layers"][f"silver/{name}"] == people(rows(table, "rows_out"))
    for name, table in layers["gold"].items():
        assert shown["layers"][f"gold/{name}"] == people(rows(table))
    hits = {}
    for name, table in layers["silver"].items():
        for month in table["months"].values():
            for rule, count in {**month["rule_hits"], **month["quarantined_by_rule"]}.items():
                hits[f"{name}/{rule}"] = hits.get(f"{name}/{rule}", 0) + count
    quirks = shown["data_quirks"]
    value_rules = sum(
        count
        for month_table in layers["silver"].values()
        for month in month_table["months"].values()
        for count in month["rule_hits"].values()
    )
    assert int(quirks["nulled"].replace(",", "")) + int(quirks["repaired"].replace(",", "")) == value_rules
    shown_rules = {key: value for key, value in quirks.items() if "/" in key}
    assert shown_rules and all(value == people(hits[key]) for key, value in shown_rules.items())
    assert (
        min(int(value.replace(",", "")) for value in shown_rules.values()) >= sorted(hits.values())[-len(shown_rules)]
    )


def test_label_rates_per_cohort_are_the_run_records(report):
    record, shown = report["record"], report["shown"]["labels"]
    mob = record["parameters"]["label_mob"]
    for month, counts in record["layers"]["gold"]["label_store"]["months"].items():
        if counts["rows"]:
            cohort = add_months(date.fromisoformat(month), -mob).isoformat()
            assert shown[cohort] == f"{100 * counts['bad'] / (counts['rows'] - counts['unknown']):.0f}%"


def test_classifier_results_on_the_slide_are_the_run_records(report):
    check, shown = report["record"]["sanity_check"], report["shown"]["sanity_classifier"]
    assert check["status"] == "ok", check["message"]
    for metric in check["metrics"]:
        if metric["model"] == "gradient_boosting":  # the ROC curve is refitted: it must land on the same AUC
            assert shown[f"{metric['model']} {metric['split']}"] == f"{metric['auc']:.2f}"
            assert shown[f"roc {metric['split']}"] == f"{metric['auc']:.2f}"
    for row in check["ablation"]:  # the ablation chart: each feature set's out-of-time AUC
        assert shown[f"ablation {row['features']}"] == f"{row['oot_auc']:.2f}"


def test_drift_counts_on_the_slide_are_the_run_records(report):
    summary, shown = report["record"]["layers"]["gold"]["feature_drift"], report["shown"]["feature_drift"]
    for month, counts in summary["months"].items():
        assert shown[f"significant {month}"] == people(counts["features_significant"])


def test_every_number_is_printed_on_its_slide(report):
    for page, (slide, numbers) in zip(report["pdf"].pages, report["shown"].items(), strict=True):
        text = page.extract_text()
        missing = [value for value in numbers.values() if value not in text]
        assert not missing, f"{slide}: {missing}"


def test_the_state_is_the_last_word_on_each_month():
    """A later run of one month replaces that month's counts only; a check replaces the classifier results."""
    full = {
        "status": "succeeded",
        "command": "run",
        "run_id": "a",
        "started_at": "2024-01-01T00:00:00",
        "parameters": {"label_mob": 6},
        "data": {"origin": "synthetic"},
        "layers": {
            "gold": {"feature_store": {"columns": 10, "months": {"2024-01-01": {"rows": 5}, "2024-02-01": {"rows": 7}}}}
        },
        "sanity_check": {"status": "ok", "metrics": []},
    }
    rerun = {
        **full,
        "run_id": "b",
        "started_at": "2024-01-02T00:00:00",
        "data": {},
        "layers": {"gold": {"feature_store": {"columns": 11, "months": {"2024-02-01": {"rows": 9}}}}},
    }
    check = {
        "status": "succeeded",
        "command": "check",
        "run_id": "c",
        "started_at": "2024-01-03T00:00:00",
        "parameters": {},
        "layers": {},
        "sanity_check": {"status": "ok", "metrics": [{"auc": 0.7}]},
    }
    failed = {
        **rerun,
        "status": "failed",
        "started_at": "2024-01-04T00:00:00",
        "layers": {"gold": {"feature_store": {"months": {"2024-02-01": {"rows": 0}}}}},
    }
    state = datamart_state([check, failed, rerun, full])
    store = state["layers"]["gold"]["feature_store"]
    assert store["months"] == {"2024-01-01": {"rows": 5}, "2024-02-01": {"rows": 9}} and store["columns"] == 11
    assert state["last_run"]["run_id"] == "b" and state["data"] == {"origin": "synthetic"}
    assert state["sanity_check"]["metrics"] == [{"auc": 0.7}] and state["run_id"] == "c"
