"""Feature drift: PSI on hand-made bin counts with a known answer, the binning, and the gold job."""

import math
import shutil
from datetime import date

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from utils.gold import feature_drift as drift
from utils.platform.partitions import write_months

JAN, FEB, MAR, APR = (date(2024, month, 1) for month in (1, 2, 3, 4))


def psi_by_hand(expected: list[float], actual: list[float]) -> float:
    floor = lambda share: max(share, drift.EPSILON)  # noqa: E731
    return sum((floor(a) - floor(e)) * math.log(floor(a) / floor(e)) for e, a in zip(expected, actual, strict=True))


def counts_frame(rows):
    return pd.DataFrame(rows, columns=["snapshot_date", "feature", "bin", "count"])


def psi_of(table: pd.DataFrame) -> dict:
    return {(row["snapshot_date"], row["feature"]): row for row in table.to_dict("records")}


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    counts = counts_frame(
        [
            # reference (January): 50 / 50 over two bins, for both features
            (JAN, "same", 0, 50),
            (JAN, "same", 1, 50),
            (JAN, "shifted", 0, 50),
            (JAN, "shifted", 1, 50),
            # February: "same" keeps the shape at another size, "shifted" moves to 80 / 20
            (FEB, "same", 0, 200),
            (FEB, "same", 1, 200),
            (FEB, "shifted", 0, 80),
            (FEB, "shifted", 1, 20),
        ]
    )
    result = psi_of(drift.population_stability(counts, [JAN]))
    assert result[(FEB, "same")]["psi"] == pytest.approx(0, abs=1e-12)
    assert result[(FEB, "same")]["drift"] == "stable"
    shifted = result[(FEB, "shifted")]
    # (0.8 - 0.5) ln(0.8 / 0.5) + (0.2 - 0.5) ln(0.2 / 0.5) = 0.4159
    assert shifted["psi"] == pytest.approx(psi_by_hand([0.5, 0.5], [0.8, 0.2])) == pytest.approx(0.4159, abs=1e-4)
    assert shifted["psi"] > drift.SIGNIFICANT_PSI and shifted["drift"] == "significant"
    assert shifted["applications"] == 100 and not shifted["in_reference"] and result[(JAN, "shifted")]["in_reference"]
    assert (shifted["reference_start"], shifted["reference_end"]) == (JAN, JAN)


def test_a_bin_empty_on_one_side_counts_with_the_epsilon_floor():
    counts = counts_frame(
        [
            (JAN, "f", 0, 90),
            (JAN, "f", 1, 10),  # no nulls in the reference
            (FEB, "f", 0, 60),
            (FEB, "f", 1, 10),
            (FEB, "f", drift.NULL_BIN, 30),  # 30% nulls now
            (MAR, "f", 0, 100),  # bin 1 empty this month
        ]
    )
    result = psi_of(drift.population_stability(counts, [JAN]))
    assert result[(FEB, "f")]["psi"] == pytest.approx(psi_by_hand([0.9, 0.1, 0.0], [0.6, 0.1, 0.3]))
    assert result[(MAR, "f")]["psi"] == pytest.approx(psi_by_hand([0.9, 0.1, 0.0], [1.0, 0.0, 0.0]))
    assert result[(FEB, "f")]["psi"] > drift.SIGNIFICANT_PSI  # a feature going missing is drift


def test_bins_are_reference_deciles_with_mass_points_and_nulls_apart():
    reference = {
        "flag": [0] * 9 + [1],
        "months": [0, 0, 0, 6, 6, 6, 6, 6, 6, 3],
        "amount": list(range(10)),
        "empty": [None],
    }
    edges = {
        name: tuple(list(part) for part in drift.bin_edges(pd.Series(values, dtype=float)))
        for name, values in reference.items()
    }
    assert edges["flag"] == ([0.0], [0.0])
    assert edges["months"] == ([0.0, 3.0, 6.0], [0.0, 6.0])
    assert edges["amount"] == ([float(v) for v in range(9)], [])
    assert edges["empty"] == ([], [])
    values = {"flag": [0.0, 1.0, None], "months": [0.0, 1.0, 6.0, 7.0], "amount": [0.5, 9.5], "empty": [4.0]}
    bins = {
        name: sorted(
            drift.bin_numbers(
                pd.Series(values[name], dtype=float), *drift.bin_edges(pd.Series(reference[name], dtype=float))
            )
        )
        for name in values
    }
    assert bins == {
        "amount": [2, 18],  # 0.5 lies in (0, 1]; 9.5 above the last edge 8
        "empty": [0],  # no reference values: one bin for every value
        "flag": [-1, 1, 2],  # null; the point 0; above 0
        "months": [1, 2, 5, 6],  # point 0; (0, 3]; point 6; above 6
    }


def test_bin_counts_use_the_reference_months_for_the_edges():
    store = pd.DataFrame({"snapshot_date": [JAN] * 4 + [FEB] * 4, "x": [1.0, 2.0, 3.0, 4.0, 10.0, 10.0, None, 2.0]})
    counts = drift.bin_counts(store, [JAN], ["x"])
    by_month = {
        month: dict(zip(rows["bin"], rows["count"], strict=True)) for month, rows in counts.groupby("snapshot_date")
    }
    # January's deciles are 1, 1, 2, 2, 2, 3, 3, 4, 4: edges 1..4, every one a point
    assert by_month[JAN] == {1: 1, 3: 1, 5: 1, 7: 1}
    assert by_month[FEB] == {8: 2, drift.NULL_BIN: 1, 3: 1}


def test_the_reference_window_starts_when_the_clickstream_window_is_full():
    months = [date(2023, month, 1) for month in range(1, 13)]
    assert drift.reference_window(months, history_start=date(2023, 1, 1)) == months[5:11]
    assert drift.reference_window(months, history_start=date(2022, 6, 1)) == months[:6]
    assert drift.reference_window(months[:3], history_start=date(2023, 1, 1)) == months[:3]  # no full window yet


def hand_made_store(spark, folder, ages: dict) -> None:
    rows = [
        (f"{month}_{index}", "c", float(age), index % 2, month)
        for month, values in ages.items()
        for index, age in enumerate(values)
    ]
    store = spark.createDataFrame(
        rows, "loan_id string, Customer_ID string, Age double, spends_high int, snapshot_date date"
    )
    write_months(store, str(folder / "gold" / "feature_store"), list(ages), set(ages))


def test_drift_job_writes_one_row_per_feature_and_month(spark, tmp_path):
    """A hand-made feature store: February is January again, March and April have shifted ages."""
    ages = {JAN: list(range(20, 60)), FEB: list(range(20, 60)), MAR: list(range(40, 80)), APR: list(range(40, 80))}
    hand_made_store(spark, tmp_path, ages)

    summary = drift.build_feature_drift(spark, str(tmp_path), reference_months=2)

    table = pd.read_parquet(tmp_path / "gold" / "feature_drift")
    assert sorted(p.name for p in (tmp_path / "gold" / "feature_drift").glob("snapshot_date=*")) == [
        f"snapshot_date={month}" for month in ages
    ]
    assert len(table) == 2 * len(ages) and not table.duplicated(["feature", "snapshot_date"]).any()
    psi = table.set_index(["feature", table["snapshot_date"].astype(str)])["psi"]
    assert psi["Age", str(FEB)] == pytest.approx(0, abs=1e-12)
    assert psi["Age", str(MAR)] > drift.SIGNIFICANT_PSI
    assert psi["spends_high", str(APR)] == pytest.approx(0, abs=1e-12)
    assert summary["reference_start"] == JAN and summary["reference_end"] == FEB and summary["features"] == 2
    march = summary["months"][MAR]
    assert (march["rows"], march["applications"], march["features_significant"]) == (2, 40, 1)
    assert march["max_psi"] == pytest.approx(psi["Age", str(MAR)], abs=1e-4)


def test_a_local_store_gives_the_drift_spark_gives_for_the_same_store_at_a_uri(spark, tmp_path):
    """A local feature store is read with pyarrow, one at a URI by Spark (file:// is one): the
    same table and summary."""
    ages = {JAN: list(range(20, 60)), FEB: list(range(25, 65)), MAR: list(range(40, 80))}
    hand_made_store(spark, tmp_path / "local", ages)
    shutil.copytree(tmp_path / "local", tmp_path / "uri")
    local = drift.build_feature_drift(spark, str(tmp_path / "local"), reference_months=2)
    through_spark = drift.build_feature_drift(spark, (tmp_path / "uri").as_uri(), reference_months=2)
    assert local == through_spark
    ordered = ["snapshot_date", "feature"]
    assert_frame_equal(
        pd.read_parquet(tmp_path / "local" / "gold" / "feature_drift").sort_values(ordered, ignore_index=True),
        pd.read_parquet(tmp_path / "uri" / "gold" / "feature_drift").sort_values(ordered, ignore_index=True),
        check_exact=True,
    )
    # A rebuilt month finds the stored reference window through either reader: only it is redone.
    for root in (str(tmp_path / "local"), (tmp_path / "uri").as_uri()):
        assert list(drift.build_feature_drift(spark, root, rebuilt=[MAR], reference_months=2)["months"]) == [MAR]


def drift_files(folder) -> dict[str, list[str]]:
    return {
        p.name: sorted(f.name for f in p.glob("*.parquet"))
        for p in (folder / "gold" / "feature_drift").glob("snapshot_date=*")
    }


def test_a_rebuilt_month_recomputes_only_its_own_drift_unless_it_is_in_the_reference(spark, tmp_path):
    ages = {JAN: list(range(20, 60)), FEB: list(range(20, 60)), MAR: list(range(40, 80)), APR: list(range(40, 80))}
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    hand_made_store(spark, incremental, ages)
    drift.build_feature_drift(spark, str(incremental), reference_months=2)
    before = drift_files(incremental)

    changed = {**ages, APR: list(range(30, 70))}
    hand_made_store(spark, incremental, {APR: changed[APR]})
    summary = drift.build_feature_drift(spark, str(incremental), rebuilt=[APR], reference_months=2)
    after = drift_files(incremental)
    assert list(summary["months"]) == [APR]
    assert {month: files for month, files in after.items() if month != f"snapshot_date={APR}"} == {
        month: files for month, files in before.items() if month != f"snapshot_date={APR}"
    }
    assert after[f"snapshot_date={APR}"] != before[f"snapshot_date={APR}"]

    hand_made_store(spark, full, changed)
    drift.build_feature_drift(spark, str(full), reference_months=2)
    ordered = ["snapshot_date", "feature"]
    assert_frame_equal(
        pd.read_parquet(incremental / "gold" / "feature_drift").sort_values(ordered).reset_index(drop=True),
        pd.read_parquet(full / "gold" / "feature_drift").sort_values(ordered).reset_index(drop=True),
    )

    hand_made_store(spark, incremental, {JAN: list(range(25, 65))})  # a reference month: every month moves
    summary = drift.build_feature_drift(spark, str(incremental), rebuilt=[JAN], reference_months=2)
    assert list(summary["months"]) == list(ages)


def test_months_to_compute():
    months = [JAN, FEB, MAR, APR]
    window = (JAN, FEB)
    assert drift.months_to_compute(months, [APR], [JAN, FEB], months, window) == [APR]
    assert drift.months_to_compute(months, [APR], [JAN, FEB], [JAN, FEB], window) == [MAR, APR]  # MAR never computed
    assert drift.months_to_compute(months, [FEB], [JAN, FEB], months, window) == months  # in the reference
    assert drift.months_to_compute(months, [APR], [FEB, MAR], months, window) == months  # the window moved
    assert drift.months_to_compute(months, None, [JAN, FEB], months, window) == months
    assert drift.months_to_compute(months, [APR], [JAN, FEB], [], None) == months  # no table yet
