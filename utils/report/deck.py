"""The run report: a 10-slide deck about the datamart, built from its run records and gold tables.

    write_report(spark, datamart_dir, "reports")  ->  reports/datamart_deck.pdf   16:9, 10 slides
                                                      reports/slides/*.png        each slide
                                                      reports/figures/*.png       each chart alone
                                                      reports/deck_numbers.json   every number shown

Each slide builder takes the small dict of numbers it needs, draws the slide and returns
the numbers exactly as printed on it, so the deck can be checked against the run record.
The numbers come from utils/report/numbers.py; the look from utils/report/style.py; the
charts from utils/report/charts.py.
"""

import json
import os
from dataclasses import dataclass
from datetime import date

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from sklearn.metrics import roc_auc_score, roc_curve
from threadpoolctl import threadpool_limits

from utils.checks.leakage_audit import GRADIENT_BOOSTING, TARGET
from utils.checks.sanity_classifier import (
    SPLITS,
    feature_columns,
    fit_on_train,
    load_training_set,
    make_models,
    matrix,
    split_by_month,
    with_split,
)
from utils.gold.feature_drift import SIGNIFICANT_PSI
from utils.gold.feature_store import KEYS, LINEAGE
from utils.platform import storage
from utils.platform.errors import UserError
from utils.platform.partitions import read_table
from utils.platform.run_record import runs_folder
from utils.report.charts import (
    MODEL_NAMES,
    draw_ablation,
    draw_drift,
    draw_label_rates,
    draw_loan_timeline,
    draw_medallion,
    draw_point_in_time,
    draw_roc,
    draw_rule_hits,
    drift_legend,
)
from utils.report.numbers import (
    classifier_results,
    cleaning_totals,
    datamart_state,
    drift_overview,
    headline,
    label_mob,
    label_rates,
    layer_inventory,
    rule_hits,
    sampling_noise_psi,
)
from utils.report.style import (
    BLUE,
    BODY,
    CONTENT_BOTTOM,
    CONTENT_TOP,
    DPI,
    FIGURE_SIZE,
    GREEN,
    INK,
    INSET,
    LABEL,
    LAYER_COLOURS,
    MUTED,
    NAVY,
    RED,
    SMALL,
    THEME,
    auc,
    blank_axes,
    bullet_list,
    chart_axes,
    column_left,
    count,
    duration,
    fig_xy,
    heading,
    kpi_card,
    month_span,
    new_slide,
    panel,
    percent,
    room_for_tick_labels,
    span_width,
    wrap,
    write_lines,
)
from utils.sources.months import add_months
from utils.tables import dictionary_path, feature_drift_path, feature_store_path

DECK = "datamart_deck.pdf"
NUMBERS = "deck_numbers.json"
TOP_RULES = 14
POINT_IN_TIME_MONTHS_SHOWN = 6  # months before T drawn on the point-in-time slide
TOP_DRIFT_FEATURES = 20
CONTENT_HEIGHT = CONTENT_BOTTOM - CONTENT_TOP


@dataclass(frozen=True)
class Chrome:
    """What every slide shares: the footer text and the page count."""

    footer: str
    pages: int


# ---- reading the datamart ------------------------------------------------------------------------------


def read_run_records(spark: SparkSession, datamart_dir: str) -> list[dict]:
    """Every run record under _runs/ (read through Spark, so object storage works too)."""
    folder = runs_folder(datamart_dir)
    paths = [storage.join(folder, name) for name in storage.list_names(folder) if name.endswith(".json")]
    if not paths:
        return []
    return [json.loads(row.value) for row in spark.read.text(paths, wholetext=True).collect()]


def read_drift(spark: SparkSession, datamart_dir: str) -> pd.DataFrame | None:
    """gold/feature_drift (a few thousand rows), or None before it is built."""
    path = feature_drift_path(datamart_dir)
    if not storage.exists(path):
        return None
    return (
        read_table(spark, path)
        .select("feature", "psi", "applications", "in_reference", F.col("snapshot_date").cast("string"))
        .toPandas()
    )


def feature_families(spark: SparkSession, datamart_dir: str) -> dict[str, int]:
    """Features per source family, from the column dictionary the gold run wrote."""
    names = {
        "clickstream": "Clickstream windows",
        "financials": "Financials and ratios",
        "loan_daily+financials": "Financials and ratios",
        "attributes": "Attributes",
        "loan_daily": "The loan applied for",
    }
    rows = spark.read.option("header", True).csv(dictionary_path(datamart_dir)).collect()
    families: dict[str, int] = {}
    for row in rows:
        if row["name"] not in (*KEYS, "snapshot_date") and row["source"] in names:
            families[names[row["source"]]] = families.get(names[row["source"]], 0) + 1
    return dict(sorted(families.items(), key=lambda item: -item[1]))


def loan_tenure(spark: SparkSession, datamart_dir: str) -> int:
    """Instalments of the loans applied for (the slide draws one tick per month on book)."""
    return int(read_table(spark, feature_store_path(datamart_dir)).agg(F.max("tenure")).first()[0])


def roc_curves(spark: SparkSession, datamart_dir: str) -> dict[str, dict]:
    """The gradient-boosting model refitted as the sanity check fits it (same split, same seed), ROC per split."""
    training_set = load_training_set(spark, datamart_dir)
    splits = split_by_month(list(training_set["application_month"].drop_duplicates()))
    if splits is None:
        return {}
    training_set = with_split(training_set, splits)
    if training_set.loc[training_set["split"] == "train", TARGET].nunique() < 2:
        return {}
    columns = feature_columns(training_set.columns)
    curves = {}
    with threadpool_limits(limits=1):  # as in the sanity check: Spark shares the cores
        pipeline = fit_on_train(make_models()[GRADIENT_BOOSTING], training_set, columns)
        for split in SPLITS:
            part = training_set[training_set["split"] == split]
            if part[TARGET].nunique() == 2:
                scores = pipeline.predict_proba(matrix(part, columns))[:, 1]
                false_positive, true_positive, _ = roc_curve(part[TARGET], scores)
                curves[split] = {
                    "fpr": false_positive,
                    "tpr": true_positive,
                    "auc": float(roc_auc_score(part[TARGET], scores)),
                }
    return curves


# ---- slides ----------------------------------------------------------------------------------------------------


def slide_problem(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    shown = {
        "applications": count(numbers["applications"]),
        "months": count(numbers["months"]),
        "labelled": count(numbers["labelled"]),
        "bad_rate": "n/a" if numbers["bad_rate"] is None else percent(numbers["bad_rate"]),
    }
    fig = new_slide(
        "Predict default at application, from only what is known that day",
        f"The lender's {numbers['tenure']}-month cash loans: {shown['applications']} applications from "
        f"{month_span(numbers['first_month'], numbers['last_month'])}. {shown['labelled']} have reached month "
        f"{numbers['label_mob']}, and {shown['bad_rate']} of those were {numbers['label_dpd']}+ days past due.",
        chrome.footer,
        page,
        chrome.pages,
    )
    card_width = (span_width(5) - 0.3) / 2
    cards = [
        (shown["applications"], "loan applications in the feature store", NAVY),
        (shown["months"], "monthly snapshots in the datamart", BLUE),
        (shown["labelled"], f"loans with a label (reached month {numbers['label_mob']})", NAVY),
        (shown["bad_rate"], "of labelled loans are bad", RED),
    ]
    for index, (value, label, colour) in enumerate(cards):
        left = column_left(1) + (index % 2) * (card_width + 0.3)
        kpi_card(fig, left, CONTENT_TOP + 0.1 + (index // 2) * 1.75, card_width, 1.5, value, label, colour)
    bullet_list(
        fig,
        column_left(1),
        CONTENT_TOP + 3.75,
        span_width(5),
        [
            "The datamart's job: a label store and a point-in-time feature store a model can trust.",
            f"Data: {numbers['origin']}, four monthly CSV extracts.",
        ],
        size=LABEL,
    )
    draw_loan_timeline(blank_axes(fig, column_left(6), CONTENT_TOP, span_width(7), CONTENT_HEIGHT - 0.3), numbers)
    return fig, shown


def slide_medallion(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    shown = {key: count(value) for key, value in numbers["rows"].items()}
    fig = new_slide(
        "Four raw extracts flow through bronze and silver into two gold stores",
        "Each box is a table partitioned by month, with its rows in this datamart. A run rewrites exactly the months "
        "it is given, so a rerun or a month-by-month run gives the same datamart.",
        chrome.footer,
        page,
        chrome.pages,
    )
    draw_medallion(blank_axes(fig, column_left(1), CONTENT_TOP, span_width(12), CONTENT_HEIGHT), numbers)
    return fig, shown


def cell_x(column: int, align: str) -> float:
    """Where a table cell's text is anchored: inside its grid column, on the left or the right."""
    return column_left(column) + INSET if align == "left" else column_left(column) + span_width(1) - INSET


def slide_layers(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    tables = numbers["tables"]
    totals = {layer: sum(row["rows"] for row in tables if row["layer"] == layer) for layer in ("bronze", "silver")}
    shown = {f"{row['layer']}/{row['table']}": count(row["rows"]) for row in tables}
    shown.update(
        {f"{layer} total": count(total) for layer, total in totals.items()},
        quarantined=count(numbers["quarantined_rows"]),
        rejected=count(numbers["rejected_rows"]),
    )
    fig = new_slide(
        "Every layer is partitioned by month, and its row counts reconcile",
        f"Bronze holds {shown['bronze total']} raw rows ({shown['rejected']} rejected); silver keeps "
        f"{shown['silver total']} and quarantines {shown['quarantined']}: bronze = silver + quarantine, checked for "
        "every table and month.",
        chrome.footer,
        page,
        chrome.pages,
    )
    columns = [
        ("Layer", 1, "left"),
        ("Table", 2, "left"),
        ("Grain", 4, "left"),
        ("Month partition", 9, "left"),
        ("Months", 11, "right"),
        ("Rows", 12, "right"),
    ]  # heading, grid column, alignment
    top = CONTENT_TOP + 0.05
    for text, column, align in columns:
        fig.text(
            *fig_xy(fig, cell_x(column, align), top), text, size=LABEL, weight="bold", color=MUTED, va="top", ha=align
        )
    row_height = min(0.4, (CONTENT_HEIGHT - 0.45) / max(len(tables), 1))
    for index, row in enumerate(tables):
        y = top + 0.42 + index * row_height
        if index % 2 == 0:  # zebra stripes, inside the margins
            panel(fig, column_left(1), y - 0.09, span_width(12), row_height)
        cells = [
            row["layer"],
            row["table"],
            row["grain"],
            row["partition"],
            count(row["months"]),
            shown[f"{row['layer']}/{row['table']}"],
        ]
        styles = [
            {"color": LAYER_COLOURS[row["layer"]], "weight": "bold"},
            {"family": "DejaVu Sans Mono", "weight": "bold"},
            {},
            {},
            {},
            {"weight": "bold"},
        ]
        for text, (_, column, align), style in zip(cells, columns, styles, strict=True):
            fig.text(
                *fig_xy(fig, cell_x(column, align), y), text, size=LABEL, va="top", ha=align, **{"color": INK, **style}
            )
    return fig, shown


def slide_quirks(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    totals = numbers["totals"]
    shown = {
        "nulled": count(totals["null_value"]),
        "repaired": count(totals["repair_value"]),
        "quarantined": count(totals["quarantined_rows"]),
        "rejected": count(totals["rejected_rows"]),
        **{f"{rule['table']}/{rule['rule']}": count(rule["hits"]) for rule in numbers["rules"]},
    }
    cleaned = count(totals["null_value"] + totals["repair_value"])
    shown["cleaned"] = cleaned
    fig = new_slide(
        f"Silver cleaned {cleaned} dirty values and held back {shown['quarantined']} rows, each by a named rule",
        f"{totals['rules_fired']} rules fired over all months; the {len(numbers['rules'])} most frequent are shown. "
        "Rules are declared as data in utils/silver/quality_rules.py and counted per table and month in the run record.",
        chrome.footer,
        page,
        chrome.pages,
    )
    bars = chart_axes(fig, column_left(1), CONTENT_TOP + 0.05, span_width(8), CONTENT_HEIGHT - 0.1)
    draw_rule_hits(bars, numbers)
    room_for_tick_labels(fig, bars, [bars], column_left(1))
    cards = [
        (shown["nulled"], "values set to null: placeholders such as '_' and impossible values", BLUE),
        (shown["repaired"], "numbers repaired: a stray trailing '_' stripped", BLUE),
        (shown["quarantined"], "rows quarantined: no key, or conflicting duplicates", NAVY),
        (shown["rejected"], "rows rejected in bronze: no readable month", NAVY),
    ]
    card_height = (CONTENT_HEIGHT - 3 * 0.2) / 4
    for index, (value, label, colour) in enumerate(cards):
        kpi_card(
            fig,
            column_left(9),
            CONTENT_TOP + index * (card_height + 0.2),
            span_width(4),
            card_height,
            value,
            label,
            colour,
            value_width=1.45,
        )
    return fig, shown


def slide_labels(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    cohorts = numbers["cohorts"]
    if not cohorts:
        fig = new_slide(
            f"No loan has reached month {numbers['label_mob']} yet, so no label is known",
            f"The label store fills once the data holds loans {numbers['label_mob']} months after they start.",
            chrome.footer,
            page,
            chrome.pages,
        )
        return fig, {}
    rates = [cohort["rate"] for cohort in cohorts]
    shown = {
        "overall": percent(numbers["overall_rate"]),
        "lowest": percent(min(rates), 0),
        "highest": percent(max(rates), 0),
        "labelled": count(numbers["labelled"]),
        "bad": count(numbers["bad"]),
        **{cohort["cohort"]: percent(cohort["rate"], 0) for cohort in cohorts},
    }
    fig = new_slide(
        f"{shown['overall']} of loans are {numbers['label_dpd']}+ days past due at month "
        f"{numbers['label_mob']}, {shown['lowest']} to {shown['highest']} by cohort",
        f"{shown['labelled']} loans from {len(cohorts)} application months have reached month {numbers['label_mob']}; "
        f"{shown['bad']} of them are bad. Later applications are in the feature store, waiting for their label.",
        chrome.footer,
        page,
        chrome.pages,
    )
    panel(fig, column_left(1), CONTENT_TOP, span_width(4), CONTENT_HEIGHT)
    top = heading(fig, column_left(1) + INSET, CONTENT_TOP + INSET, "The label")
    bullet_list(
        fig,
        column_left(1) + INSET,
        top,
        span_width(4) - 2 * INSET,
        [
            f"bad (1) when the loan is {numbers['label_dpd']} or more days past due at month {numbers['label_mob']} "
            "on book; good (0) otherwise",
            "days past due: days since the oldest unpaid instalment fell due",
            f"one row per loan that reaches month {numbers['label_mob']}, stored in the month the label is observed",
            f"label_def = {numbers['label_def']}; --label-dpd and --label-mob change it for every month at once",
            "the cohort is the application month: observation month minus the months on book",
        ],
        size=LABEL,
        gap=0.14,
    )
    rates_axes = chart_axes(fig, column_left(5), CONTENT_TOP + 0.35, span_width(8), CONTENT_HEIGHT - 0.9)
    draw_label_rates(rates_axes, numbers)
    room_for_tick_labels(fig, rates_axes, [rates_axes], column_left(5))
    return fig, shown


def slide_feature_store(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    families = numbers["families"]
    shown = {
        "applications": count(numbers["applications"]),
        "features": count(sum(families.values())),
        **{family: count(value) for family, value in families.items()},
    }
    fig = new_slide(
        "Every feature uses only data dated on or before the application month",
        f"{shown['applications']} rows, one per application, with {shown['features']} features. Lineage columns "
        "record the source month used; the leakage audit and a test that rewrites future rows check the rule.",
        chrome.footer,
        page,
        chrome.pages,
    )
    left, width = column_left(1) + INSET, span_width(4) - 2 * INSET
    panel(fig, column_left(1), CONTENT_TOP, span_width(4), CONTENT_HEIGHT)
    top = heading(fig, left, CONTENT_TOP + INSET, "Features by source")
    for family in families:
        fig.text(*fig_xy(fig, left, top), family, size=LABEL, color=INK, va="top")
        fig.text(
            *fig_xy(fig, left + width, top), shown[family], size=LABEL, color=INK, weight="bold", va="top", ha="right"
        )
        top += 0.32
    top = heading(fig, left, top + 0.2, "Nothing fitted across rows")
    top = write_lines(
        fig,
        left,
        top,
        wrap(
            "No imputation, scaling or capping in the store: the model learns those on its training months only.",
            width,
            LABEL,
        ),
        LABEL,
    )
    top = heading(fig, left, top + 0.2, "Lineage columns")
    write_lines(
        fig,
        left,
        top,
        list(LINEAGE),
        SMALL,
        MUTED,
        family="DejaVu Sans Mono",
    )
    draw_point_in_time(blank_axes(fig, column_left(5) + 0.2, CONTENT_TOP, span_width(8) - 0.2, CONTENT_HEIGHT), numbers)
    return fig, shown


def slide_classifier(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    results = numbers["results"]
    if results is None:
        fig = new_slide(
            "The sanity classifier has not run on this datamart yet",
            "Run `python main.py check` once the gold stores hold labelled loans from three or more months.",
            chrome.footer,
            page,
            chrome.pages,
        )
        return fig, {}
    # The ROC legend and the title print the gradient boosting's AUCs; the logistic regression's
    # are in the run record and `python main.py check`.
    shown = {f"{GRADIENT_BOOSTING} {split}": auc(value) for split, value in results["auc"][GRADIENT_BOOSTING].items()}
    shown.update({f"roc {split}": auc(curve["auc"]) for split, curve in numbers["curves"].items()})
    failed = [name for name, passed in results["checks"] if not passed]
    best = GRADIENT_BOOSTING
    title = (
        f"Out-of-time AUC {shown[f'{best} oot']} against {shown[f'{best} test']} on test: real signal, no leakage found"
        if not failed
        else f"Leakage suspected: {len(failed)} of {len(results['checks'])} audit checks failed"
    )
    months = {split: month_span(*span) for split, span in results["months"].items()}
    rows = {split: count(value) for split, value in results["rows"].items()}
    shown.update({f"rows {split}": value for split, value in rows.items()})
    fig = new_slide(
        title,
        f"Trained on {months['train']} ({rows['train']} loans), tested on {months['test']} "
        f"({rows['test']}), out of time on {months['oot']} ({rows['oot']}); imputation and scaling are "
        "learnt on the training months only.",
        chrome.footer,
        page,
        chrome.pages,
    )
    side = CONTENT_HEIGHT - 0.55
    roc = chart_axes(fig, column_left(1), CONTENT_TOP + 0.05, side, side)
    draw_roc(roc, numbers)
    roc.set_title(f"{MODEL_NAMES[best]}: ROC by split", loc="left", size=LABEL, color=INK, weight="bold")
    room_for_tick_labels(fig, roc, [roc], column_left(1))
    bars = chart_axes(fig, column_left(7), CONTENT_TOP + 0.35, span_width(6), 2.1)
    draw_ablation(bars, results)
    bars.set_title("What each source adds, out of time", loc="left", size=LABEL, color=INK, weight="bold")
    shown.update({f"ablation {row['features']}": auc(row["oot_auc"]) for row in results["ablation"]})
    room_for_tick_labels(fig, bars, [bars], column_left(7))
    top = heading(fig, column_left(7), CONTENT_TOP + 3.35, "Leakage audit")
    for name, passed in results["checks"]:
        fig.text(
            *fig_xy(fig, column_left(7), top),
            "\u2713" if passed else "\u2717",
            size=BODY,
            weight="bold",
            color=GREEN if passed else RED,
            va="top",
        )
        fig.text(
            *fig_xy(fig, column_left(7) + 0.35, top),
            f"{name}: {'passed' if passed else 'FAILED'}",
            size=LABEL,
            color=INK,
            va="top",
        )
        top += 0.32
    return fig, shown


def slide_drift(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    overview = numbers["overview"]
    if overview is None:
        fig = new_slide(
            "Feature drift has not been computed for this datamart yet",
            "The gold layer writes gold/feature_drift; run the gold layer, then the report again.",
            chrome.footer,
            page,
            chrome.pages,
        )
        return fig, {}
    shown = {
        "features": count(overview["features"]),
        "drifting": count(overview["drifting_after_reference"]),
        "noise": f"{numbers['noise']:.2f}",
        "typical month": count(numbers["typical_month"]),
        **{f"significant {month}": count(value) for month, value in overview["significant_per_month"].items()},
    }
    reference = overview["reference"]
    if numbers["noise"] >= SIGNIFICANT_PSI:  # months this small cross the threshold by chance alone
        title = f"Months of about {shown['typical month']} applications are too small to read drift yet"
    elif overview["drifting_after_reference"]:
        title = f"{shown['drifting']} of {shown['features']} features cross PSI {SIGNIFICANT_PSI:g} in a month after the reference window"
    else:
        title = f"All {shown['features']} features stay stable after the reference window"
    fig = new_slide(
        title,
        f"PSI of each feature per application month against {month_span(reference[0], reference[-1])}, on "
        f"the reference deciles. With about {shown['typical month']} applications a month, chance alone gives "
        f"PSI near {shown['noise']}: read lone cells as noise, full rows as drift.",
        chrome.footer,
        page,
        chrome.pages,
    )
    heat_width = span_width(10)
    heat = chart_axes(fig, column_left(1), CONTENT_TOP + 0.45, heat_width, CONTENT_HEIGHT - 1.55)
    strip = chart_axes(fig, column_left(1), CONTENT_BOTTOM - 0.95, heat_width, 0.55)
    draw_drift(heat, strip, overview)
    room_for_tick_labels(fig, heat, [heat, strip], column_left(1))
    legend = chart_axes(fig, column_left(11), CONTENT_TOP + 0.4, span_width(2), 2.2)
    drift_legend(legend)
    write_lines(
        fig,
        column_left(11),
        CONTENT_TOP + 2.1,
        wrap(
            f"Rows: the {len(overview['matrix'])} of {shown['features']} features that drift most after the "
            "reference window. Bars: features at 0.25 or more per month.",
            span_width(2),
            SMALL,
        ),
        SMALL,
        MUTED,
    )
    return fig, shown


def slide_how_to_run(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    shown = {"seconds": duration(numbers["seconds"]), "months": count(numbers["months"])}
    fig = new_slide(
        f"One command builds all {shown['months']} months in {shown['seconds']}; the same one adds a month",
        "Needs Python 3.11+ and Java 17 or 21; everything else is pinned in requirements.txt. Paths and the Spark "
        "master come from flags or environment variables, so the same jobs run on a cluster.",
        chrome.footer,
        page,
        chrome.pages,
    )
    steps = [
        ("Install", "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"),
        ("Build every layer and month, then the sanity check", ".venv/bin/python main.py"),
        (
            "Add or rebuild one month",
            f".venv/bin/python main.py --start {numbers['next_month']} --end {numbers['next_month']}",
        ),
        ("Sanity classifier and leakage audit alone", ".venv/bin/python main.py check"),
        ("This deck and its figures", ".venv/bin/python main.py report"),
        ("Tests", ".venv/bin/python -m pytest -q"),
    ]
    top = CONTENT_TOP
    width = span_width(7)
    for index, (caption, command) in enumerate(steps, start=1):
        fig.text(
            *fig_xy(fig, column_left(1), top), f"{index}  {caption}", size=LABEL, weight="bold", color=NAVY, va="top"
        )
        panel(fig, column_left(1), top + 0.27, width, 0.4)
        fig.text(
            *fig_xy(fig, column_left(1) + INSET, top + 0.47),
            command,
            size=SMALL,
            family="DejaVu Sans Mono",
            color=INK,
            va="center",
        )
        top += 0.83
    top = heading(fig, column_left(9), CONTENT_TOP, "What you get")
    tree = [
        "datamart/bronze/   raw rows by month",
        "datamart/silver/   typed and cleaned",
        "datamart/gold/     label_store",
        "                   feature_store",
        "                   feature_drift",
        "datamart/_runs/    one record per run",
        "reports/           deck, slides, figures",
    ]
    top = write_lines(fig, column_left(9), top, tree, SMALL, INK, family="DejaVu Sans Mono") + 0.3
    top = heading(fig, column_left(9), top, "This run")
    write_lines(
        fig,
        column_left(9),
        top,
        [
            f"run {numbers['run_id']}",
            f"{shown['months']} months in {shown['seconds']}",
            f"Spark {numbers['spark']} on {numbers['master']}",
        ],
        SMALL,
        MUTED,
    )
    return fig, shown


def slide_decisions(numbers: dict, chrome: Chrome, page: int) -> tuple[Figure, dict]:
    fig = new_slide(
        "Built so a model can trust it; next, run it monthly and watch the drift",
        "The choices that make the numbers in this deck reproducible, and what would take the datamart to production.",
        chrome.footer,
        page,
        chrome.pages,
    )
    columns = [
        (
            "Design decisions",
            NAVY,
            [
                "Month partitions with dynamic overwrite: rerunning a month, or running month by month, gives the same datamart.",
                "Quality rules as data: every null, repair and quarantine is named and counted; nothing is dropped silently.",
                "Point in time by construction: as-of joins, lineage columns, and an audit that fails loudly on leakage.",
                "No statistic fitted in the store: imputation and scaling belong to the model's training months.",
                "One run record per run: the console, the notebooks and this deck read the same numbers.",
            ],
        ),
        (
            "Next steps",
            BLUE,
            [
                "Schedule the monthly run (one --start/--end month) and keep the run records as the audit trail.",
                "Point --data-dir and --datamart-dir at object storage and --master at a cluster; nothing else changes.",
                f"Alert when a feature's PSI passes {numbers['significant']} or a rule's hits jump against last month.",
                "Train the production model on a frozen set (python main.py training-set --out DIR): bronze keeps "
                "what each extract replaced, so --verify DIR rebuilds it to the same hash months later.",
                "Take the data quirks back to the source teams: each one is a rule with a count to track.",
            ],
        ),
    ]
    for index, (title, colour, items) in enumerate(columns):
        left = column_left(1 + 6 * index)
        panel(fig, left, CONTENT_TOP, span_width(6), CONTENT_HEIGHT)
        top = heading(fig, left + INSET, CONTENT_TOP + INSET, title, colour)
        bullet_list(fig, left + INSET, top + 0.05, span_width(6) - 2 * INSET, items, size=BODY, gap=0.22)
    return fig, {"significant": str(numbers["significant"])}


# ---- the deck ------------------------------------------------------------------------------------------------------

SLIDES = [
    ("problem", slide_problem),
    ("medallion_flow", slide_medallion),
    ("layers", slide_layers),
    ("data_quirks", slide_quirks),
    ("labels", slide_labels),
    ("feature_store", slide_feature_store),
    ("sanity_classifier", slide_classifier),
    ("feature_drift", slide_drift),
    ("how_to_run", slide_how_to_run),
    ("decisions", slide_decisions),
]


def rule_label(rule: dict) -> str:
    """`Credit_Mix: placeholder` for the rule Credit_Mix_placeholder; `loan_daily: duplicate row` for a row rule."""
    prefix = f"{rule['column']}_"
    if rule["column"] and rule["rule"].startswith(prefix):
        return f"{rule['column']}: {rule['rule'].removeprefix(prefix).replace('_', ' ')}"
    return f"{rule['table']}: {rule['rule'].replace('_', ' ')}"


def drift_numbers(drift: pd.DataFrame | None) -> dict:
    """The heat map's matrix and counts, a typical month's applications and the PSI chance alone gives it."""
    if drift is None:
        return {"overview": None}
    overview = drift_overview(drift, TOP_DRIFT_FEATURES)
    per_month = overview["applications_per_month"]
    typical_month = int(pd.Series(list(per_month.values())).median())
    reference_rows = sum(per_month[month] for month in overview["reference"])
    return {
        "overview": overview,
        "typical_month": typical_month,
        "noise": sampling_noise_psi(typical_month, reference_rows),
    }


def slide_numbers(state: dict, inputs: dict) -> dict[str, dict]:
    """The small dict of numbers each slide prints, by slide name."""
    facts = headline(state)
    parameters = state["last_run"]["parameters"]
    label = {
        "label_mob": label_mob(state),
        "label_dpd": parameters.get("label_dpd", 30),
        "label_def": facts["label_def"],
    }
    inventory = layer_inventory(state)
    totals = cleaning_totals(state)
    rows = {f"{row['layer']}/{row['table']}": row["rows"] for row in inventory}
    if "bronze" in state["layers"]:
        rows["bronze/_rejects"] = totals["rejected_rows"]
    if "silver" in state["layers"]:
        rows["silver/_quarantine"] = totals["quarantined_rows"]
    return {
        "problem": {**facts, **label, "tenure": inputs["tenure"]},
        "medallion_flow": {"rows": rows},
        "layers": {"tables": inventory, **totals},
        "data_quirks": {
            "totals": totals,
            "rules": [{**rule, "label": rule_label(rule)} for rule in rule_hits(state)[:TOP_RULES]],
        },
        "labels": {
            **label,
            "cohorts": label_rates(state),
            "overall_rate": facts["bad_rate"],
            "labelled": facts["labelled"],
            "bad": facts["bad"],
        },
        "feature_store": {
            "applications": facts["applications"],
            "families": inputs["families"],
            "months_shown": POINT_IN_TIME_MONTHS_SHOWN,
            "label_mob": label["label_mob"],
        },
        "sanity_classifier": {"results": classifier_results(state), "curves": inputs["curves"]},
        "feature_drift": drift_numbers(inputs["drift"]),
        "how_to_run": {
            "seconds": state["last_run"].get("seconds", 0),
            "months": facts["months"],
            "next_month": add_months(date.fromisoformat(facts["last_month"]), 1).isoformat(),
            "run_id": state["last_run"]["run_id"],
            "spark": state["last_run"].get("spark", {}).get("version", "?"),
            "master": parameters.get("master", "?"),
        },
        "decisions": {"significant": SIGNIFICANT_PSI},
    }


def footer(state: dict) -> str:
    facts = headline(state)
    span = month_span(facts["first_month"], facts["last_month"]) if facts["first_month"] else "no months"
    return f"Loan-default datamart  \u00b7  run {state['run_id']}  \u00b7  {facts['origin']} data, {span}"


def build_slides(numbers: dict[str, dict], chrome: Chrome) -> list[tuple[str, Figure, dict]]:
    """(name, figure, numbers as shown) for every slide, in deck order."""
    return [(name, *builder(numbers[name], chrome, page)) for page, (name, builder) in enumerate(SLIDES, start=1)]


# ---- stand-alone figures ------------------------------------------------------------------------------------------


def diagram_figure(draw, numbers: dict, width: float, height: float) -> Figure:
    """A diagram alone, drawn in the same inch coordinates as on its slide, with a small margin."""
    margin = 0.3
    fig = Figure(figsize=(width + 2 * margin, height + 2 * margin), dpi=DPI)
    draw(blank_axes(fig, margin, margin, width, height), numbers)
    return fig


def chart_figure(draw, numbers: dict, title: str, size: tuple[float, float] = FIGURE_SIZE) -> Figure:
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    ax = fig.subplots()
    draw(ax, numbers)
    ax.set_title(title, loc="left", size=BODY, color=INK, weight="bold")
    return fig


def drift_figure(numbers: dict) -> Figure:
    fig = Figure(figsize=(FIGURE_SIZE[0] + 1.5, FIGURE_SIZE[1] + 1), dpi=DPI, layout="constrained")
    (heat, key), (strip, unused) = fig.subplots(2, 2, height_ratios=[6, 1], width_ratios=[8, 1])
    draw_drift(heat, strip, numbers["overview"])
    drift_legend(key)
    unused.axis("off")
    heat.set_title("PSI per feature and application month", loc="left", size=BODY, color=INK, weight="bold", pad=28)
    return fig


def build_figures(numbers: dict[str, dict]) -> list[tuple[str, Figure]]:
    """Each chart and diagram of the deck as its own figure, for pasting into other documents."""
    figures = [
        ("loan_timeline", diagram_figure(draw_loan_timeline, numbers["problem"], span_width(7), CONTENT_HEIGHT - 0.3)),
        ("medallion_flow", diagram_figure(draw_medallion, numbers["medallion_flow"], span_width(12), CONTENT_HEIGHT)),
        ("rule_hits", chart_figure(draw_rule_hits, numbers["data_quirks"], "Silver rule hits over all months")),
        (
            "label_rate_by_cohort",
            chart_figure(draw_label_rates, numbers["labels"], "Default rate by application month"),
        ),
        (
            "point_in_time",
            diagram_figure(draw_point_in_time, numbers["feature_store"], span_width(8) - 0.2, CONTENT_HEIGHT),
        ),
    ]
    if numbers["sanity_classifier"]["curves"]:
        figures.append(
            (
                "roc_curve",
                chart_figure(draw_roc, numbers["sanity_classifier"], "ROC by split, gradient boosting", (6.5, 6.5)),
            )
        )
    if numbers["sanity_classifier"]["results"]:
        figures.append(
            (
                "ablation",
                chart_figure(draw_ablation, numbers["sanity_classifier"]["results"], "Out-of-time AUC by feature set"),
            )
        )
    if numbers["feature_drift"]["overview"] is not None:
        figures.append(("feature_drift_heatmap", drift_figure(numbers["feature_drift"])))
    return figures


# ---- writing it all -------------------------------------------------------------------------------------------------


def gather_inputs(spark: SparkSession, datamart_dir: str, state: dict) -> dict:
    """What the deck needs beyond the run records: small reads of the gold tables and the ROC refit."""
    return {
        "drift": read_drift(spark, datamart_dir),
        "families": feature_families(spark, datamart_dir),
        "tenure": loan_tenure(spark, datamart_dir),
        "curves": roc_curves(spark, datamart_dir) if classifier_results(state) else {},
    }


def empty_of_png(folder: str) -> None:
    """Creates the folder, or removes the PNGs an earlier report left there (a figure may not apply any more)."""
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".png"):
            os.remove(os.path.join(folder, name))


def save_png(fig: Figure, path: str) -> str:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)
    return path


def write_report(spark: SparkSession, datamart_dir: str, out_dir: str = "reports") -> list[str]:
    """Writes the deck, its slides and figures as PNG, and the numbers shown; returns the paths written."""
    datamart_dir = storage.absolute(datamart_dir)
    if not storage.exists(feature_store_path(datamart_dir)):
        raise UserError(f"{datamart_dir} has no gold layer yet; build the datamart first with `python main.py`.")
    state = datamart_state(read_run_records(spark, datamart_dir))
    inputs = gather_inputs(spark, datamart_dir, state)
    numbers = slide_numbers(state, inputs)
    for folder in ("slides", "figures"):
        empty_of_png(os.path.join(out_dir, folder))
    written = []
    with matplotlib.rc_context(THEME):
        slides = build_slides(numbers, Chrome(footer(state), len(SLIDES)))
        deck = os.path.join(out_dir, DECK)
        with PdfPages(deck, metadata={"Title": "Loan-default datamart", "Subject": f"run {state['run_id']}"}) as pdf:
            for _, fig, _ in slides:
                pdf.savefig(fig)
        written.append(deck)
        for page, (name, fig, _) in enumerate(slides, start=1):
            written.append(save_png(fig, os.path.join(out_dir, "slides", f"slide_{page:02d}_{name}.png")))
        for name, fig in build_figures(numbers):
            written.append(save_png(fig, os.path.join(out_dir, "figures", f"{name}.png")))
    numbers_path = os.path.join(out_dir, NUMBERS)
    with open(numbers_path, "w", encoding="utf-8") as handle:
        json.dump({"run_id": state["run_id"], "slides": {name: shown for name, _, shown in slides}}, handle, indent=2)
    written.append(numbers_path)
    return written
