"""Property-based, end to end: random damage to a tiny generated extract, then `main.py`.

Each example ends either with one sentence naming the file to fix (exit 2 for a file the
run cannot read, exit 1 for an extract a fail-the-run rule stops), or with a run in which
every row is accounted for: file records = bronze + rejects per source, bronze =
silver + quarantine (the run checks it and exits 1 otherwise), and loans in silver =
applications + held back. Never a stack trace. A few examples with a fixed seed run in the
suite; a longer search runs by hand:

    HYPOTHESIS_PROFILE=hostile-long .venv/bin/python -m pytest tests/end_to_end/test_hostile_input.py
"""

import csv
import io
import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import main
from tests.end_to_end.test_main import records, run_main
from utils.sources.registry import SOURCES

settings.register_profile(
    "hostile-suite",
    max_examples=3,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "hostile-long", parent=settings.get_profile("hostile-suite"), max_examples=60, derandomize=False
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "hostile-suite")

CELLS = [
    "",
    " ",
    "NaN",
    "1e400",
    "-1e400",
    "1e-400",
    "9" * 400,
    "１２３",
    "Ωμέγα",
    "名前",
    "4_",
    "_",
    "\u00a0",
    "2023-02-30",
    "2023-5-1",
    "05/01/2023",
    "2023/05/01",
    "1 May 2023",
    "5/1/23",
    "13/1/2023",
    "-1",
    "0.5",
]
DAMAGES = (
    "cell",
    "stray_quote",
    "stray_separator",
    "field_short",
    "field_extra",
    "header_again",
    "blank_lines",
    "no_final_newline",
)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    main.generate_data(str(out), customers=40, months=4, seed=11)
    return out


def damaged(text: str, damage: str, line_pick: float, position_pick: float, cell: str) -> str:
    """One damage to a CSV file's text, on the data line and position the picks (0..1) choose."""
    lines = text.split("\n")
    data = [index for index in range(1, len(lines)) if lines[index]]
    index = data[int(line_pick * len(data))]
    line = lines[index]
    if damage == "cell":
        row = next(csv.reader([line]))
        row[int(position_pick * len(row))] = cell
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(row)
        lines[index] = buffer.getvalue()
    elif damage in ("stray_quote", "stray_separator"):
        at = int(position_pick * len(line))
        lines[index] = line[:at] + ('"' if damage == "stray_quote" else ",") + line[at:]
    elif damage == "field_short":
        lines[index] = line.rsplit(",", 1)[0]
    elif damage == "field_extra":
        lines[index] = line + ",extra"
    elif damage == "header_again":
        lines.insert(index, lines[0])
    elif damage == "blank_lines":
        lines[index:index] = ["", ""]
    elif damage == "no_final_newline":
        return text.rstrip("\n")
    return "\n".join(lines)


def records_in(path) -> int:
    """Data records as an RFC 4180 reader sees them: the header and empty lines are not records."""
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for row in list(csv.reader(handle))[1:] if row)


DAMAGE = st.tuples(
    st.sampled_from(SOURCES), st.sampled_from(DAMAGES), st.floats(0, 0.999), st.floats(0, 0.999), st.sampled_from(CELLS)
)


@settings(settings.get_profile(PROFILE))
@given(damages=st.lists(DAMAGE, min_size=1, max_size=4))
def test_damaged_extracts_end_in_one_sentence_or_with_every_row_accounted_for(
    tiny_data, tmp_path_factory, capsys, damages
):
    work = tmp_path_factory.mktemp("hostile")
    data = work / "data"
    shutil.copytree(tiny_data, data)
    for source, damage, line_pick, position_pick, cell in damages:
        path = data / source.file_name
        path.write_text(
            damaged(path.read_text(encoding="utf-8"), damage, line_pick, position_pick, cell), encoding="utf-8"
        )
    capsys.readouterr()
    code = run_main("--data-dir", data, "--datamart-dir", work / "datamart")
    error = capsys.readouterr().err.strip()
    assert "Traceback" not in error and "py4j" not in error.lower(), error
    if code:
        assert error.count("\n") == 0 and ".csv" in error, (code, error, damages)
        assert (code, error.split(": ")[0]) in ((2, "error"), (1, "run failed")), (code, error, damages)
        return
    record = records(work / "datamart")[-1]
    for source in SOURCES:
        bronze = record["layers"]["bronze"][source.stem]
        stored = sum(month["rows"] for month in bronze["months"].values())
        assert stored + bronze["rows_rejected"] == records_in(data / source.file_name), (source.stem, damages)
    for store in ("feature_store", "label_store"):
        for month, counts in record["layers"]["gold"][store]["months"].items():
            assert counts["expected"] == counts["rows"] + counts["held_back"], (store, month, damages)
