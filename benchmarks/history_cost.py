"""Does a new month's clickstream cost grow with the length of the history?

    python benchmarks/history_cost.py --datamart-dir DIR [--repeats 3]

DIR is a built datamart (for example one that benchmarks/run.py left in its work folder,
`<work>/10x-new_month/datamart`). For the latest month's applications, the clickstream
window aggregates (utils/gold/clickstream_windows.py) are computed from the silver
clickstream of the last 1, 6 and 12 months and of the whole history, in one warm Spark
session, and each is timed to a no-op sink. The answer decides whether gold keeps a
per-customer state table of running sums (docs/DESIGN.md, "Clickstream features").
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from utils.gold.clickstream_windows import clickstream_windows  # noqa: E402
from utils.gold.feature_store import applications  # noqa: E402
from utils.platform.partitions import months_present, read_months  # noqa: E402
from utils.platform.spark_session import start_spark  # noqa: E402
from utils.sources.registry import CLICKSTREAM, LOAN_DAILY  # noqa: E402
from utils.tables import silver_table_path  # noqa: E402

HISTORY_LENGTHS = (1, 6, 12, None)  # months of clickstream read; None: every month up to T


def time_windows(spark, datamart_dir: str, history_months: int | None, repeats: int) -> tuple[int, float]:
    """Months read and the median seconds to aggregate them for the latest month's applications."""
    clickstream_path = silver_table_path(datamart_dir, CLICKSTREAM)
    months = months_present(clickstream_path)
    read = months if history_months is None else months[-history_months:]
    apps = applications(read_months(spark, silver_table_path(datamart_dir, LOAN_DAILY), [months[-1]]))
    seconds = []
    for _ in range(repeats + 1):  # the first run warms the JVM for this plan and is dropped
        started = time.perf_counter()
        clickstream_windows(apps, read_months(spark, clickstream_path, read)).write.format("noop").mode(
            "overwrite"
        ).save()
        seconds.append(time.perf_counter() - started)
    return len(read), statistics.median(seconds[1:])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datamart-dir", required=True, help="a built datamart")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per history length (default: 3)")
    args = parser.parse_args(argv)
    spark = start_spark()
    rows = spark.read.parquet(silver_table_path(args.datamart_dir, CLICKSTREAM)).count()
    print(f"silver clickstream: {rows:,} rows in {args.datamart_dir}")
    print("months read  median s")
    for history_months in HISTORY_LENGTHS:
        months, seconds = time_windows(spark, args.datamart_dir, history_months, args.repeats)
        print(f"{months:>11}  {seconds:8.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
