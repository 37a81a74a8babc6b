"""The deck's look: one palette, one type scale, one 12-column grid on a 16:9 slide.

A slide is 13.33 x 7.5 inches (the 16:9 size of presentation tools). Everything is placed
in inches from the slide's top-left corner on a 12-column grid, so titles, panels and
charts line up from slide to slide. Number formats live here too: one way to write a
count, a rate or a month everywhere in the deck.
"""

import textwrap
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.text import Text

SLIDE_WIDTH, SLIDE_HEIGHT = 40 / 3, 7.5  # 960 x 540 points
FIGURE_SIZE = (10, 5.625)  # stand-alone figures, also 16:9
DPI = 150

# ---- palette -----------------------------------------------------------------------------------
INK = "#1D2B3A"  # body text
MUTED = "#5F6B7A"  # secondary text, axes, captions
RULE = "#D5DBE1"  # grid lines and borders
PANEL = "#F2F4F7"  # card and panel backgrounds
NAVY = "#1D3557"  # titles and the main series
BLUE = "#457B9D"  # second series
SKY = "#A8DADC"  # third series, highlights
AMBER = "#F4A261"  # warning
RED = "#E63946"  # alert
GREEN = "#2A9D8F"  # pass
LAYER_COLOURS = {"sources": "#6C757D", "bronze": "#A9652E", "silver": "#7D8A9E", "gold": "#B8901A"}
ACTION_COLOURS = {"null_value": BLUE, "repair_value": SKY, "quarantine_row": AMBER, "fail_run": RED, "unknown": RULE}

# ---- type scale (points) -------------------------------------------------------------------------
TITLE = 24
LEDE = 14
BODY = 13
LABEL = 11
SMALL = 10
KPI = 30
CHAR_WIDTH_EM = 0.58  # average DejaVu Sans character width, to wrap text before drawing it
LINE_SPACING = 1.4

THEME = {
    "font.family": "DejaVu Sans",
    "font.size": LABEL,
    "text.color": INK,
    "axes.edgecolor": RULE,
    "axes.labelcolor": MUTED,
    "axes.labelsize": LABEL,
    "axes.titlesize": BODY,
    "axes.titlecolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": RULE,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelsize": SMALL,
    "ytick.labelsize": SMALL,
    "legend.fontsize": SMALL,
    "legend.frameon": False,
    "pdf.fonttype": 42,  # TrueType: text stays text in the PDF (searchable, copyable)
    "savefig.facecolor": "white",
}

# ---- grid (inches from the top-left) -------------------------------------------------------------
MARGIN = 0.6
GUTTER = 0.3
COLUMNS = 12
COLUMN_WIDTH = (SLIDE_WIDTH - 2 * MARGIN - (COLUMNS - 1) * GUTTER) / COLUMNS
TITLE_TOP = 0.42
LEDE_TOP = 0.98
CONTENT_TOP = 1.8
CONTENT_BOTTOM = 6.8
FOOTER_TOP = 7.08
INSET = 0.22  # text inside a panel starts this far from its edge


def column_left(column: int) -> float:
    """Left edge of a grid column (1 to 12), in inches."""
    return MARGIN + (column - 1) * (COLUMN_WIDTH + GUTTER)


def span_width(span: int) -> float:
    return span * COLUMN_WIDTH + (span - 1) * GUTTER


def to_figure(fig: Figure, left: float, top: float, width: float, height: float) -> list[float]:
    """Inches from the top-left to matplotlib's figure fractions [left, bottom, width, height]."""
    fig_width, fig_height = fig.get_size_inches()
    return [left / fig_width, 1 - (top + height) / fig_height, width / fig_width, height / fig_height]


def fig_xy(fig: Figure, x: float, y: float) -> tuple[float, float]:
    fig_width, fig_height = fig.get_size_inches()
    return x / fig_width, 1 - y / fig_height


def line_height(size: float) -> float:
    return size * LINE_SPACING / 72


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of `text` that fit `width` inches at `size` points."""
    return textwrap.wrap(text, max(8, int(width * 72 / (size * CHAR_WIDTH_EM))))


# ---- number formats ----------------------------------------------------------------------------------


def count(value: int) -> str:
    return f"{value:,}"


def percent(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def auc(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def month_long(month: str | date) -> str:
    return f"{date.fromisoformat(str(month)):%b %Y}"


def month_span(first: str | date, last: str | date) -> str:
    """`Mar 2024`, `Jan to Jun 2024` or `Nov 2023 to Feb 2024`."""
    start, end = date.fromisoformat(str(first)), date.fromisoformat(str(last))
    if start == end:
        return month_long(start)
    return f"{start:%b} to {month_long(end)}" if start.year == end.year else f"{month_long(start)} to {month_long(end)}"


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


# ---- slide furniture -------------------------------------------------------------------------------


def new_slide(title: str, lede: str, footer: str, page: int, pages: int) -> Figure:
    """A blank 16:9 slide with the accent bar, the takeaway title, the lede and the footer."""
    fig = Figure(figsize=(SLIDE_WIDTH, SLIDE_HEIGHT), dpi=DPI)
    FigureCanvasAgg(fig)  # a renderer, to measure text before the slide is saved
    fig.patches.append(
        Rectangle(
            (0, 1 - 0.12 / SLIDE_HEIGHT),
            1,
            0.12 / SLIDE_HEIGHT,
            transform=fig.transFigure,
            facecolor=NAVY,
            edgecolor="none",
        )
    )
    headline = fig.text(*fig_xy(fig, MARGIN, TITLE_TOP), title, size=TITLE, weight="bold", color=NAVY, va="top")
    shrink_to_width(fig, headline, SLIDE_WIDTH - 2 * MARGIN, smallest=18)
    size = next(
        (size for size in (LEDE, LEDE - 1, LEDE - 2) if len(wrap(lede, SLIDE_WIDTH - 2 * MARGIN, size)) <= 2), LEDE - 2
    )  # a long lede gets smaller, never cut
    write_lines(fig, MARGIN, LEDE_TOP, wrap(lede, SLIDE_WIDTH - 2 * MARGIN, size), size, MUTED)
    fig.lines.append(_rule(fig, FOOTER_TOP - 0.12))
    fig.text(*fig_xy(fig, MARGIN, FOOTER_TOP), footer, size=SMALL - 1, color=MUTED, va="top")
    fig.text(
        *fig_xy(fig, SLIDE_WIDTH - MARGIN, FOOTER_TOP),
        f"{page} / {pages}",
        size=SMALL - 1,
        color=MUTED,
        va="top",
        ha="right",
    )
    return fig


def text_width(fig: Figure, artist: Text) -> float:
    """The drawn width of a text in inches."""
    return artist.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi


def shrink_to_width(fig: Figure, artist: Text, width: float, smallest: float) -> None:
    """Makes a one-line text smaller until it fits `width` inches (data-driven titles vary in length)."""
    while text_width(fig, artist) > width and artist.get_fontsize() > smallest:
        artist.set_fontsize(artist.get_fontsize() - 1)


def room_for_tick_labels(fig: Figure, label_axes: Axes, aligned: list[Axes], left: float) -> None:
    """Moves `aligned` axes right so that `label_axes`' tick labels start at `left` inches, keeping
    their right edge: long, data-driven labels then line up with the grid instead of the page edge."""
    renderer = fig.canvas.get_renderer()
    overhang = (label_axes.get_window_extent(renderer).x0 - label_axes.get_tightbbox(renderer).x0) / fig.dpi
    for ax in aligned:
        x0, y0, width, height = ax.get_position().bounds
        right = x0 + width
        new_left = (left + overhang) / fig.get_size_inches()[0]
        ax.set_position([new_left, y0, right - new_left, height])


def _rule(fig: Figure, y: float) -> Line2D:
    _, fy = fig_xy(fig, 0, y)
    return Line2D(
        [MARGIN / SLIDE_WIDTH, 1 - MARGIN / SLIDE_WIDTH], [fy, fy], transform=fig.transFigure, color=RULE, linewidth=0.8
    )


def write_lines(
    fig: Figure, x: float, top: float, lines: list[str], size: float, colour: str = INK, family: str | None = None
) -> float:
    """Draws lines of text from `top` down; returns the y (inches) below the last line."""
    for index, line in enumerate(lines):
        fig.text(
            *fig_xy(fig, x, top + index * line_height(size)), line, size=size, color=colour, va="top", family=family
        )
    return top + len(lines) * line_height(size)


def panel(fig: Figure, left: float, top: float, width: float, height: float, colour: str = PANEL) -> None:
    """A rounded background for a block of text or a diagram element."""
    fig.patches.append(
        FancyBboxPatch(
            fig_xy(fig, left, top + height),
            width / SLIDE_WIDTH,
            height / SLIDE_HEIGHT,
            boxstyle="round,pad=0,rounding_size=0.012",
            transform=fig.transFigure,
            facecolor=colour,
            edgecolor="none",
            mutation_aspect=SLIDE_WIDTH / SLIDE_HEIGHT,
        )
    )


def bullet_list(
    fig: Figure,
    left: float,
    top: float,
    width: float,
    items: list[str],
    size: float = BODY,
    colour: str = INK,
    gap: float = 0.12,
) -> float:
    """Bulleted, wrapped items from `top` down; returns the y (inches) below the last one."""
    indent = size * 1.1 / 72
    for item in items:
        lines = wrap(item, width - indent, size)
        fig.text(*fig_xy(fig, left, top), "\u2022", size=size, color=BLUE, va="top")
        top = write_lines(fig, left + indent, top, lines, size, colour) + gap
    return top


def heading(fig: Figure, left: float, top: float, text: str, colour: str = NAVY, size: float = BODY) -> float:
    fig.text(*fig_xy(fig, left, top), text, size=size, weight="bold", color=colour, va="top")
    return top + line_height(size) + 0.06


def kpi_card(
    fig: Figure,
    left: float,
    top: float,
    width: float,
    height: float,
    value: str,
    label: str,
    colour: str = NAVY,
    value_width: float | None = None,
) -> None:
    """A number that matters with what it counts: label under the value, or beside it with `value_width`."""
    panel(fig, left, top, width, height)
    fig.patches.append(
        Rectangle(
            fig_xy(fig, left, top + height),
            0.07 / SLIDE_WIDTH,
            height / SLIDE_HEIGHT,
            transform=fig.transFigure,
            facecolor=colour,
            edgecolor="none",
        )
    )
    if value_width is None:
        fig.text(*fig_xy(fig, left + INSET, top + 0.2), value, size=KPI, weight="bold", color=colour, va="top")
        write_lines(fig, left + INSET, top + 0.85, wrap(label, width - 2 * INSET, LABEL), LABEL, MUTED)
        return
    fig.text(
        *fig_xy(fig, left + INSET, top + height / 2), value, size=KPI - 4, weight="bold", color=colour, va="center"
    )
    lines = wrap(label, width - value_width - 2 * INSET, LABEL)
    write_lines(
        fig, left + INSET + value_width, top + (height - len(lines) * line_height(LABEL)) / 2, lines, LABEL, MUTED
    )


def chart_axes(fig: Figure, left: float, top: float, width: float, height: float) -> Axes:
    return fig.add_axes(to_figure(fig, left, top, width, height))


def blank_axes(fig: Figure, left: float, top: float, width: float, height: float) -> Axes:
    """Axes for a drawn diagram: no frame, data coordinates in inches (x right, y up)."""
    ax = fig.add_axes(to_figure(fig, left, top, width, height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return ax
