"""Shared fixtures: one Spark session for the whole test run, and small generated data."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.platform.spark_session import start_spark  # noqa: E402

SMALL = {"customers": 300, "months": 8, "seed": 7}


@pytest.fixture(scope="session")
def spark():
    # main.py's own session helper, with fewer cores so tests leave room for the OS, and the
    # driver memory users get (2g): with 1g the heap filled about twice as often, and three
    # end-to-end test files took about 4% longer (benchmarks/HISTORY.md, 2026-12-06).
    return start_spark("local[2]")


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> Path:
    """The four source CSVs for 300 customers over 8 months (written once per test run)."""
    import main

    out = tmp_path_factory.mktemp("data")
    main.generate_data(str(out), customers=SMALL["customers"], months=SMALL["months"], seed=SMALL["seed"])
    return out


@pytest.fixture(scope="session")
def small_datamart(spark, small_data, tmp_path_factory) -> Path:
    """`python main.py` on the small data, all layers. Shared: copy it before changing it."""
    import main

    datamart = tmp_path_factory.mktemp("small") / "datamart"
    assert main.main(["--data-dir", str(small_data), "--datamart-dir", str(datamart)]) == 0
    return datamart


LABELLED = {"customers": 400, "months": 12, "seed": 7}  # six application months reach a label


@pytest.fixture(scope="session")
def labelled_run(spark, tmp_path_factory) -> tuple[Path, Path]:
    """Data and datamart of `python main.py` on 400 customers over 12 months: enough labelled
    months for the sanity check's time split. Built once for the report and notebook tests;
    never changed: copy the datamart before writing to it."""
    import main

    root = tmp_path_factory.mktemp("labelled")
    main.generate_data(str(root / "data"), **LABELLED)
    assert main.main(["--data-dir", str(root / "data"), "--datamart-dir", str(root / "datamart")]) == 0
    return root / "data", root / "datamart"


def rows(frame, *order):
    """A DataFrame as a sorted list of plain dicts, for exact comparisons in tests."""
    return sorted((row.asDict() for row in frame.collect()), key=lambda row: tuple(str(row[c]) for c in order))


def pytest_collection_modifyitems(items):
    """The container test runs last: .ci/run builds its image's slow layers in the background
    meanwhile (.ci/container_harness.sh warm), so by then they are usually ready."""
    items.sort(key=lambda item: item.path.name == "test_container.py")
