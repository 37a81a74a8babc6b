"""The deck's charts and diagrams, each drawn on given axes from a small dict of numbers.

The same function draws a chart into its place on a slide and into its own PNG, so the
stand-alone figures and the slides never disagree. Diagram axes use inches as data
coordinates (report_style.blank_axes), so boxes and text keep their proportions.
"""

from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle

from utils.gold.feature_drift import MODERATE_PSI, SIGNIFICANT_PSI
from utils.report.style import (
    ACTION_COLOURS,
    AMBER,
    BLUE,
    BODY,
    INK,
    LABEL,
    LAYER_COLOURS,
    MUTED,
    NAVY,
    PANEL,
    RED,
    RULE,
    SKY,
    SMALL,
    auc,
    count,
    percent,
    wrap,
)
from utils.sources.registry import ATTRIBUTES, CLICKSTREAM, FINANCIALS, LOAN_DAILY, SOURCES

MONO = "DejaVu Sans Mono"


# ---- diagram primitives ----------------------------------------------------------------------------


def node(
    ax: Axes,
    x: float,
    y: float,
    width: float,
    height: float,
    name: str,
    note: str = "",
    colour: str = NAVY,
    dashed: bool = False,
    size: float = SMALL,
) -> None:
    """A rounded box with a monospaced name (a file or table) and an optional note under it."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.07",
            facecolor="white",
            edgecolor=colour,
            linewidth=1.5,
            linestyle="--" if dashed else "-",
        )
    )
    lift = 0.1 if note else 0
    ax.text(
        x + width / 2,
        y + height / 2 + lift,
        name,
        ha="center",
        va="center",
        size=size,
        family=MONO,
        weight="bold",
        color=INK,
    )
    if note:
        ax.text(x + width / 2, y + height / 2 - 0.13, note, ha="center", va="center", size=size - 1, color=MUTED)


def arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], colour: str = MUTED) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.2, "shrinkA": 0, "shrinkB": 0, "mutation_scale": 12},
    )


def extent(ax: Axes) -> tuple[float, float]:
    """Width and height, in inches, of diagram axes made by report_style.blank_axes."""
    return ax.get_xlim()[1], ax.get_ylim()[1]


# ---- slide 1: when the prediction is made ------------------------------------------------------------


def draw_loan_timeline(ax: Axes, numbers: dict) -> None:
    """Months on book 0 .. tenure: the application is the prediction point, the label is read at mob."""
    tenure, mob, dpd = numbers["tenure"], numbers["label_mob"], numbers["label_dpd"]
    width, height = extent(ax)
    left, right, axis_y = 0.35, width - 0.35, 1.5
    step = (right - left) / tenure
    x_of = lambda month: left + month * step  # noqa: E731
    ax.add_patch(Rectangle((x_of(0), axis_y - 0.2), mob * step, 0.4, facecolor=SKY, edgecolor="none", alpha=0.45))
    ax.text(
        x_of(mob / 2), axis_y + 0.3, f"{mob} months of repayments", ha="center", va="bottom", size=SMALL, color=NAVY
    )
    ax.plot([left, right], [axis_y, axis_y], color=MUTED, lw=1.5)
    for month in range(tenure + 1):
        ax.plot([x_of(month)] * 2, [axis_y - 0.08, axis_y + 0.08], color=MUTED, lw=1.2)
        ax.text(x_of(month), axis_y - 0.35, str(month), ha="center", va="top", size=LABEL, color=MUTED)
    ax.text(
        (left + right) / 2,
        axis_y - 0.75,
        "months on book (one instalment a month)",
        ha="center",
        va="top",
        size=LABEL,
        color=MUTED,
    )
    # Two call-outs on staggered heights, each written to the right of its marker.
    callouts = (
        (
            0,
            NAVY,
            height - 0.1,
            "Prediction point: the application",
            ["features use only data dated", "on or before the application"],
        ),
        (mob, RED, height - 1.35, f"Label read at month {mob}", [f"bad = {dpd}+ days past due,", "else good"]),
    )
    for month, colour, top, heading, lines in callouts:
        ax.plot([x_of(month)] * 2, [axis_y + 0.1, top], color=colour, lw=1.5)
        ax.plot(x_of(month), axis_y, "o", color=colour, ms=11, zorder=3)
        ax.text(x_of(month) + 0.12, top, heading, ha="left", va="top", size=BODY, weight="bold", color=colour)
        for index, line in enumerate(lines):
            ax.text(x_of(month) + 0.12, top - 0.36 - index * 0.26, line, ha="left", va="top", size=LABEL, color=INK)


# ---- slide 2: the medallion flow ------------------------------------------------------------------------

SOURCE_NOTES = {
    LOAN_DAILY: "loan snapshots",
    CLICKSTREAM: "web activity",
    ATTRIBUTES: "age, occupation",
    FINANCIALS: "income, debt, credit",
}
LAYER_NOTES = {
    "sources": "four monthly CSV extracts",
    "bronze": "raw text as received, by month",
    "silver": "typed, cleaned, no personal data",
    "gold": "model-ready, point in time",
    "use": "what reads the gold stores",
}


def draw_medallion(ax: Axes, numbers: dict) -> None:
    """Sources -> bronze -> silver -> gold -> use, with each table's rows from the run record."""
    rows = numbers["rows"]
    shown = lambda key: f"{count(rows[key])} rows" if key in rows else "not built"  # noqa: E731
    width, height = extent(ax)
    widths = {"sources": 2.25, "bronze": 2.25, "silver": 1.8, "gold": 1.8, "use": 1.85}
    gap = (width - sum(widths.values())) / (len(widths) - 1)
    lefts, x = {}, 0.0
    for column, column_width in widths.items():
        lefts[column] = x
        x += column_width + gap
    for column, left in lefts.items():
        colour = LAYER_COLOURS.get(column, NAVY)
        ax.text(left, height - 0.05, column.upper(), size=BODY, weight="bold", color=colour, va="top")
        for index, line in enumerate(wrap(LAYER_NOTES[column], widths[column], SMALL)[:2]):
            ax.text(left, height - 0.38 - index * 0.2, line, size=SMALL, color=MUTED, va="top")
        ax.plot([left, left + widths[column]], [height - 0.85] * 2, color=colour, lw=2.5)
    box_height, row_y = 0.58, [height - 1.45 - index * 0.8 for index in range(4)]
    for index, source in enumerate(SOURCES):
        y, stem, silver = row_y[index] - box_height / 2, source.stem, source.silver_table
        node(
            ax,
            lefts["sources"],
            y,
            widths["sources"],
            box_height,
            source.file_name,
            SOURCE_NOTES[source],
            LAYER_COLOURS["sources"],
        )
        node(
            ax, lefts["bronze"], y, widths["bronze"], box_height, stem, shown(f"bronze/{stem}"), LAYER_COLOURS["bronze"]
        )
        node(
            ax,
            lefts["silver"],
            y,
            widths["silver"],
            box_height,
            silver,
            shown(f"silver/{silver}"),
            LAYER_COLOURS["silver"],
        )
        arrow(ax, (lefts["sources"] + widths["sources"], row_y[index]), (lefts["bronze"], row_y[index]))
        arrow(ax, (lefts["bronze"] + widths["bronze"], row_y[index]), (lefts["silver"], row_y[index]))
    gold, use = lefts["gold"], lefts["use"]
    label_y, feature_top, feature_bottom = row_y[0], row_y[1] + 0.35, row_y[2] - 0.35
    node(
        ax,
        gold,
        label_y - box_height / 2,
        widths["gold"],
        box_height,
        "label_store",
        shown("gold/label_store"),
        LAYER_COLOURS["gold"],
    )
    node(
        ax,
        gold,
        feature_bottom,
        widths["gold"],
        feature_top - feature_bottom,
        "feature_store",
        shown("gold/feature_store"),
        LAYER_COLOURS["gold"],
    )
    node(
        ax,
        gold,
        row_y[3] - box_height / 2,
        widths["gold"],
        box_height,
        "feature_drift",
        shown("gold/feature_drift"),
        LAYER_COLOURS["gold"],
    )
    silver_right = lefts["silver"] + widths["silver"]
    arrow(ax, (silver_right, row_y[0]), (gold, label_y))
    for index, end_y in enumerate(np.linspace(feature_top - 0.15, feature_bottom + 0.15, 4)):
        arrow(ax, (silver_right, row_y[index]), (gold, end_y))
    arrow(ax, (gold + widths["gold"] / 2, feature_bottom), (gold + widths["gold"] / 2, row_y[3] + box_height / 2))
    check_y = (label_y + (feature_top + feature_bottom) / 2) / 2
    node(ax, use, check_y - 0.4, widths["use"], 0.8, "sanity check", "classifier + leakage audit", NAVY)
    arrow(ax, (gold + widths["gold"], label_y), (use, check_y + 0.15))
    arrow(ax, (gold + widths["gold"], (feature_top + feature_bottom) / 2), (use, check_y - 0.15))
    node(ax, use, row_y[3] - box_height / 2, widths["use"], box_height, "reports/", "this deck", NAVY)
    arrow(ax, (gold + widths["gold"], row_y[3]), (use, row_y[3]))
    for layer, name in (("bronze", "_rejects"), ("silver", "_quarantine")):
        key = f"{layer}/{name}"
        node(
            ax, lefts[layer], 0.02, widths[layer], 0.5, f"{layer}/{name}", shown(key), LAYER_COLOURS[layer], dashed=True
        )
        arrow(
            ax, (lefts[layer] + widths[layer] / 2, row_y[3] - box_height / 2), (lefts[layer] + widths[layer] / 2, 0.52)
        )


# ---- slide 4: data quirks ----------------------------------------------------------------------------------

ACTION_NAMES = {
    "null_value": "set to null",
    "repair_value": "repaired",
    "quarantine_row": "row quarantined",
    "fail_run": "run stopped",
    "unknown": "other",
}


def draw_rule_hits(ax: Axes, numbers: dict) -> None:
    """Horizontal bars: hits per rule over all months, coloured by what the rule does."""
    hits = numbers["rules"]
    labels = [item["label"] for item in hits][::-1]
    values = [item["hits"] for item in hits][::-1]
    colours = [ACTION_COLOURS[item["action"]] for item in hits][::-1]
    positions = np.arange(len(hits))
    ax.barh(positions, values, color=colours, height=0.68)
    ax.set_yticks(positions, labels, size=SMALL, color=INK)
    ax.tick_params(axis="y", length=0)
    ax.set_xticks([])
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.set_xlim(0, max(values) * 1.14 if values else 1)
    for position, value in zip(positions, values, strict=True):
        ax.text(value + max(values) * 0.01, position, count(value), va="center", size=SMALL, color=INK)
    actions = list(dict.fromkeys(item["action"] for item in hits))
    ax.legend(
        handles=[Patch(color=ACTION_COLOURS[action], label=ACTION_NAMES[action]) for action in actions],
        loc="lower right",
        fontsize=SMALL,
    )


# ---- slide 5: label rate per cohort -------------------------------------------------------------------------


def month_ticks(months: list[str]) -> list[str]:
    """'Jan' under every month, with the year under the first month and each January."""
    labels = []
    for index, month in enumerate(months):
        day = date.fromisoformat(month)
        labels.append(f"{day:%b}\n{day:%Y}" if index == 0 or day.month == 1 else f"{day:%b}")
    return labels


def draw_label_rates(ax: Axes, numbers: dict) -> None:
    """Default rate per application cohort, with the overall rate as a reference line."""
    cohorts, overall = numbers["cohorts"], numbers["overall_rate"]
    positions = np.arange(len(cohorts))
    rates = [cohort["rate"] for cohort in cohorts]
    # Rates are written inside the bars and the overall line runs behind them: nothing can cross a label.
    ax.bar(positions, rates, color=BLUE, width=0.7, zorder=2)
    top = max(rates + [overall]) * 1.25
    for position, rate in zip(positions, rates, strict=True):
        inside = rate > 0.12 * top  # a short bar has no room: its label goes on top
        ax.text(
            position,
            rate - 0.01 * top if inside else rate + 0.01 * top,
            percent(rate, 0),
            ha="center",
            va="top" if inside else "bottom",
            size=SMALL - 1,
            color="white" if inside else INK,
            zorder=3,
        )
    ax.axhline(overall, color=RED, lw=1.3, ls="--", label=f"all cohorts {percent(overall)}", zorder=1)
    ax.legend(loc="lower right", bbox_to_anchor=(1, 1), fontsize=SMALL, labelcolor=RED)
    ax.set_xticks(positions, month_ticks([cohort["cohort"] for cohort in cohorts]), size=SMALL - 1)
    ax.set_xlim(-0.6, len(cohorts) - 0.4)
    ax.set_ylim(0, top)
    ax.yaxis.set_major_formatter(lambda value, _: percent(value, 0))
    ax.set_ylabel("share of loans 'bad'")
    ax.set_xlabel("application month (cohort)")
    ax.grid(axis="y")
    ax.set_axisbelow(True)


# ---- slide 6: the point-in-time rule ----------------------------------------------------------------------------


def draw_point_in_time(ax: Axes, numbers: dict) -> None:
    """Months T-6 .. T+7 as columns, one lane per source: what a feature for month T may read."""
    window, mob = numbers["months_shown"], numbers["label_mob"]
    width, height = extent(ax)
    first, last = -window, mob + 1
    lane_left, step = 1.75, (width - 1.8) / (last - first + 1)
    x_of = lambda month: lane_left + (month - first) * step  # noqa: E731
    future_left = x_of(0) + step
    ax.add_patch(
        Rectangle(
            (future_left, 0.55), x_of(last) + step - future_left, height - 1.35, facecolor=PANEL, edgecolor="none"
        )
    )
    ax.text(
        future_left + 0.1,
        height - 0.95,
        "the future: never read by a feature",
        size=SMALL,
        color=RED,
        va="bottom",
        weight="bold",
    )
    lanes = [
        ("Attributes", "latest row dated \u2264 T"),
        ("Financials", "latest row dated \u2264 T"),
        ("Clickstream", "every month up to T: level, spread, trend"),
        ("Loan", "application, then its label"),
    ]
    lane_y = [height - 1.45 - index * 0.85 for index in range(len(lanes))]
    for (name, rule), y in zip(lanes, lane_y, strict=True):
        ax.text(0, y + 0.08, name, size=LABEL, weight="bold", color=INK, va="center")
        ax.text(0, y - 0.17, rule, size=SMALL - 1, color=MUTED, va="center")
        ax.plot([lane_left, x_of(last) + step], [y, y], color=RULE, lw=1)
    for month in range(first, last + 1):
        ax.text(
            x_of(month) + step / 2,
            0.3,
            "T" if month == 0 else f"{month:+d}",
            ha="center",
            size=SMALL,
            color=NAVY if month == 0 else MUTED,
            weight="bold" if month == 0 else "normal",
        )
    centre = lambda month: x_of(month) + step / 2  # noqa: E731
    # Illustrative rows of one customer: the latest dated <= T is used, earlier ones are superseded, later ones unseen.
    for y, used in ((lane_y[0], -3), (lane_y[1], -3)):
        for month in (-5, -3, 2):
            ax.plot(centre(month), y, "o", ms=9, color=NAVY if month == used else (RULE if month > 0 else SKY))
        ax.annotate(
            "",
            xy=(centre(0) - 0.05, y),
            xytext=(centre(used) + 0.12, y),
            arrowprops={"arrowstyle": "-|>", "color": NAVY, "lw": 1.2},
        )
    # The whole history up to T, however long: the band runs off the left edge.
    ax.plot([lane_left, centre(0)], [lane_y[2]] * 2, color=BLUE, lw=9, solid_capstyle="butt", alpha=0.35)
    for month in range(first, last + 1):
        used = month <= 0
        ax.plot(centre(month), lane_y[2], "o", ms=9 if used else 7, color=BLUE if used else RULE)
    ax.plot(centre(0), lane_y[3], "o", ms=11, color=NAVY)
    ax.plot(centre(mob), lane_y[3], "D", ms=10, color=RED)
    ax.text(centre(mob), lane_y[3] - 0.25, "label", ha="center", va="top", size=SMALL, color=RED)
    ax.plot([centre(0)] * 2, [0.5, height - 0.95], color=NAVY, lw=1.5, ls="--")
    ax.text(
        centre(0),
        height - 0.6,
        "T = application month\n= prediction point",
        ha="center",
        va="bottom",
        size=SMALL,
        color=NAVY,
        weight="bold",
        multialignment="center",
    )


# ---- slide 7: the sanity classifier ----------------------------------------------------------------------------

SPLIT_NAMES = {"train": "Train", "test": "Test", "oot": "Out of time"}
SPLIT_COLOURS = {"train": SKY, "test": BLUE, "oot": NAVY}
MODEL_NAMES = {"gradient_boosting": "Gradient boosting", "logistic_regression": "Logistic regression"}


def draw_roc(ax: Axes, numbers: dict) -> None:
    """ROC curves of the gradient-boosting model per split; AUC in the legend."""
    for split, curve in numbers["curves"].items():
        ax.plot(
            curve["fpr"],
            curve["tpr"],
            color=SPLIT_COLOURS[split],
            lw=2.2 if split != "train" else 1.6,
            label=f"{SPLIT_NAMES[split]}  AUC {auc(curve['auc'])}",
        )
    ax.plot([0, 1], [0, 1], color=RULE, lw=1.2, ls="--")
    ax.text(
        0.6,
        0.52,
        "random",
        rotation=35,
        size=SMALL,
        color=MUTED,
        ha="center",
        va="center",
        rotation_mode="anchor",
        transform_rotates_text=True,
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate (good loans flagged)")
    ax.set_ylabel("true positive rate (bad loans caught)")
    ax.legend(loc="lower right", fontsize=SMALL)


def ablation_label(features: str) -> str:
    """`+ clickstream_all` -> `+ clickstream, all history`: the ablation's set names for a reader."""
    windows = {"all": "all history", "3m": "last 3 months", "latest": "latest month"}
    if features.startswith("+ clickstream_"):
        return f"+ clickstream, {windows.get(features.removeprefix('+ clickstream_'), features)}"
    return features


def draw_ablation(ax: Axes, numbers: dict) -> None:
    """Out-of-time AUC of the gradient boosting per feature set, as recorded by the run:
    the application data alone at the top, each clickstream window added, then everything."""
    rows = [row for row in numbers["ablation"] if row["oot_auc"] is not None]
    positions = np.arange(len(rows))[::-1]
    values = [row["oot_auc"] for row in rows]
    colours = [MUTED] + [BLUE] * (len(rows) - 2) + [NAVY] if len(rows) > 1 else [MUTED]
    ax.barh(positions, values, color=colours, height=0.7)
    for position, value in zip(positions, values, strict=True):
        ax.text(value + 0.004, position, auc(value), va="center", size=SMALL, color=INK)
    ax.set_yticks(positions, [ablation_label(row["features"]) for row in rows], size=SMALL)
    # From 0.5 (random), or lower when a set scores below it (small data): every bar and value inside.
    ax.set_xlim(min([0.5, *[value - 0.05 for value in values]]), 1.0)
    ax.set_xlabel("out-of-time AUC (0.5 = random)")
    ax.grid(axis="x")
    ax.set_axisbelow(True)


# ---- slide 8: feature drift --------------------------------------------------------------------------------------

# Two shades per reading of the PSI: stable, moderate, significant.
DRIFT_BOUNDS = [
    0,
    MODERATE_PSI / 2,
    MODERATE_PSI,
    (MODERATE_PSI + SIGNIFICANT_PSI) / 2,
    SIGNIFICANT_PSI,
    2 * SIGNIFICANT_PSI,
    np.inf,
]
DRIFT_COLOURS = ["#EEF3F7", "#CFE0EA", "#FBE1C4", AMBER, "#EF8A7A", RED]


def draw_drift(heat: Axes, strip: Axes, numbers: dict) -> None:
    """PSI heat map (features x application months) over a strip of significant features per month."""
    matrix = numbers["matrix"]
    months = list(matrix.columns)
    norm = BoundaryNorm(DRIFT_BOUNDS, len(DRIFT_COLOURS))
    heat.pcolormesh(
        np.nan_to_num(matrix.to_numpy(dtype=float), nan=0.0),
        cmap=ListedColormap(DRIFT_COLOURS),
        norm=norm,
        edgecolors="white",
        linewidth=0.6,
    )
    heat.set_ylim(len(matrix), 0)
    heat.set_yticks(np.arange(len(matrix)) + 0.5, matrix.index, size=SMALL - 1, family=MONO, color=INK)
    heat.set_xticks([])
    heat.tick_params(axis="y", length=0)
    heat.spines[:].set_visible(False)
    reference = [months.index(month) for month in numbers["reference"] if month in months]
    if reference:
        heat_bracket(heat, reference[0], reference[-1] + 1, "reference window")
        if reference[0] > 0:
            heat_bracket(heat, 0, reference[0], "partial history", MUTED)
    counts = [numbers["significant_per_month"][month] for month in months]
    strip.bar(np.arange(len(months)) + 0.5, counts, width=0.7, color=RED)
    strip.set_xlim(0, len(months))
    strip.set_xticks(np.arange(len(months)) + 0.5, month_ticks(months), size=SMALL - 1)
    strip.set_yticks([])
    strip.spines[["left"]].set_visible(False)
    strip.set_ylabel(
        f"features\n\u2265 {SIGNIFICANT_PSI:g}", rotation=0, ha="right", va="center", size=SMALL - 1, labelpad=6
    )
    top = max(counts) if counts else 0
    strip.set_ylim(0, max(top, 1) * 1.45)
    for position, value in enumerate(counts):
        strip.text(
            position + 0.5,
            value + max(top, 1) * 0.05,
            count(value),
            ha="center",
            va="bottom",
            size=SMALL - 2,
            color=INK,
        )


def heat_bracket(ax: Axes, start: int, end: int, text: str, colour: str = NAVY) -> None:
    ax.plot(
        [start + 0.1, start + 0.1, end - 0.1, end - 0.1],
        [-0.35, -0.6, -0.6, -0.35],
        color=colour,
        lw=1.3,
        clip_on=False,
    )
    ax.text((start + end) / 2, -0.75, text, ha="center", va="bottom", size=SMALL - 1, color=colour, clip_on=False)


def drift_legend(ax: Axes) -> None:
    """The heat map's colour key as labelled swatches."""
    inner = [f"{low:g} - {high:g}" for low, high in zip(DRIFT_BOUNDS[1:-2], DRIFT_BOUNDS[2:-1], strict=True)]
    labels = [f"< {DRIFT_BOUNDS[1]:g}", *inner, f"\u2265 {DRIFT_BOUNDS[-2]:g}"]
    ax.legend(
        handles=[Patch(color=colour, label=label) for colour, label in zip(DRIFT_COLOURS, labels, strict=True)],
        loc="upper left",
        fontsize=SMALL - 1,
        title="PSI",
        title_fontsize=SMALL,
        frameon=False,
    )
    ax.axis("off")
