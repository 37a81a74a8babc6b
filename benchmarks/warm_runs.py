"""Full runs one after another in one Python process, as a notebook or the test suite runs them.

    python benchmarks/warm_runs.py --data-dir DIR --work-dir DIR [--runs 3] [--out times.json]

Each run is `main.main([...])` into a fresh datamart, in the Spark session the first run
started; the seconds of each run are printed and written to --out as a JSON list.
benchmarks/run.py runs it as the `warm` scenario and reports the second run.
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import main  # noqa: E402


def main_in_process(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--work-dir", required=True, help="each run's datamart goes here (replaced)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", help="JSON file for the list of seconds per run")
    args = parser.parse_args(argv)
    seconds = []
    for run in range(1, args.runs + 1):
        datamart = Path(args.work_dir) / "datamart"
        shutil.rmtree(datamart, ignore_errors=True)
        started = time.perf_counter()
        if main.main(["run", "--data-dir", args.data_dir, "--datamart-dir", str(datamart)]) != 0:
            raise SystemExit(f"run {run} failed")
        seconds.append(round(time.perf_counter() - started, 2))
        print(f"warm run {run}: {seconds[-1]:.1f} s", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(seconds))


if __name__ == "__main__":
    main_in_process(sys.argv[1:])
