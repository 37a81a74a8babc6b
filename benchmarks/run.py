"""Benchmark: wall time, seconds per layer and table, and peak memory of `python main.py`.

    python benchmarks/run.py                        default size, 5 runs of each scenario
    python benchmarks/run.py --sizes 1,10 --repeats 3
    python benchmarks/run.py --spark-conf spark.sql.shuffle.partitions=4   (to compare a setting)

Scenarios, each run in a fresh process as a user runs it:
  full       every layer over all 24 months into an empty datamart
  new_month  the last month alone (--start M --end M) into a datamart built up to the month before
  warm       a second full run in the same Python process as a first (benchmarks/warm_runs.py),
             as a notebook or the test suite runs it; the second run's seconds are reported
  floor      benchmarks/floor.py, a bare PySpark script of the same input/output shape, run in
             every invocation: each scenario's median is also given as a ratio to it
Sizes are multiples of the default 12,500 customers (24 months). Data is generated once per
size under the work folder and reused. Peak memory is the largest sum of proportional set sizes
over the run's process tree (Python driver plus the Spark JVM), sampled every 100 ms.

Writes benchmarks/results.md (a table with the machine it ran on) and results.json.
Timings on a shared machine are noisy: compare medians from one invocation, not across days.
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
MAIN = REPO / "main.py"
FLOOR = REPO / "benchmarks" / "floor.py"
WARM_RUNS = REPO / "benchmarks" / "warm_runs.py"
DEFAULT_CUSTOMERS = 12500
MONTHS = 24
FIRST_MONTH = "2023-01-01"
LAST_MONTH = "2024-12-01"
MONTH_BEFORE_LAST = "2024-11-01"


def machine() -> dict:
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "java": java[0] if java else "?",
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def run_measured(argv: list[str], env: dict) -> tuple[float, int]:
    """Runs a command; returns wall seconds and the peak memory (bytes) of its process tree."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_memory(root))
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            output.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed with exit code {process.returncode}:\n{output.read()}")
    return seconds, peak


def tree_memory(root: psutil.Process) -> int:
    """Proportional set size (PSS) summed over the process tree. Not RSS: the JVM forks a
    short-lived `chmod` for files it writes, and each fork's RSS would count the JVM twice."""
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += process.memory_full_info().pss
    return total


def latest_record(datamart: Path) -> dict:
    return json.loads(max((datamart / "_runs").glob("*.json"), key=lambda path: path.stat().st_mtime).read_text())


def table_seconds(record: dict) -> dict[str, float]:
    """{"silver": 9.1, "silver/clickstream": 3.2, ..., "spark_start": 4.1, "sanity_check": 2.0}
    from a run record: each layer's wall time, and each table's (built side by side)."""
    seconds = {"spark_start": record["spark"]["start_seconds"], **record["seconds_by_layer"]}
    for layer, tables in record["layers"].items():
        for table, details in tables.items():
            seconds[f"{layer}/{table}"] = details["seconds"]
    if "sanity_check" in record:
        seconds["sanity_check"] = record["sanity_check"]["seconds"]
    return seconds


def generate(size: int, work: Path) -> Path:
    data = work / f"data-{size}x"
    if not (data / ".synthetic.json").exists():
        print(f"generating {size}x data ({size * DEFAULT_CUSTOMERS:,} customers) in {data}", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(MAIN),
                "generate-data",
                "--out",
                str(data),
                "--customers",
                str(size * DEFAULT_CUSTOMERS),
                "--months",
                str(MONTHS),
                "--start",
                FIRST_MONTH,
            ],
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
    return data


def main_argv(data: Path, datamart: Path, *flags: str) -> list[str]:
    return [sys.executable, str(MAIN), "run", "--data-dir", str(data), "--datamart-dir", str(datamart), *flags]


def measure(scenario: str, data: Path, work: Path, env: dict, repeats: int) -> list[dict]:
    datamart = work / "datamart"
    base = work / "datamart-to-month-before-last"
    if scenario == "new_month":  # built by this code, untimed
        shutil.rmtree(base, ignore_errors=True)
        run_measured(main_argv(data, base, "--end", MONTH_BEFORE_LAST), env)
    runs = []
    for attempt in range(1, repeats + 1):
        shutil.rmtree(datamart, ignore_errors=True)
        if scenario == "floor":
            argv = [sys.executable, str(FLOOR), "--data-dir", str(data), "--out", str(datamart)]
        elif scenario == "warm":
            times = work / "warm_seconds.json"
            argv = [sys.executable, str(WARM_RUNS), "--data-dir", str(data), "--work-dir", str(work)]
            argv += ["--runs", "2", "--out", str(times)]
        elif scenario == "full":
            argv = main_argv(data, datamart)
        else:
            shutil.copytree(base, datamart)
            argv = main_argv(data, datamart, "--start", LAST_MONTH, "--end", LAST_MONTH)
        seconds, peak = run_measured(argv, env)
        if scenario == "warm":
            seconds = json.loads(times.read_text())[-1]
        record = {} if scenario == "floor" else latest_record(datamart)
        runs.append(
            {
                "wall_seconds": round(seconds, 2),
                "peak_memory_mb": round(peak / 2**20),
                "steps": table_seconds(record) if record else {},
                "code_generation": record["spark"]["code_generation"] if record else {},
            }
        )
        print(f"  {scenario:<10} run {attempt}: {seconds:6.1f} s, peak {peak / 2**20:,.0f} MB", flush=True)
    return runs


def summarise(runs: list[dict]) -> dict:
    steps = {
        name: round(statistics.median(run["steps"].get(name, 0.0) for run in runs), 2) for name in runs[0]["steps"]
    }
    return {
        "runs": len(runs),
        "median_wall_seconds": round(statistics.median(run["wall_seconds"] for run in runs), 1),
        "min_wall_seconds": min(run["wall_seconds"] for run in runs),
        "max_wall_seconds": max(run["wall_seconds"] for run in runs),
        "median_peak_memory_mb": round(statistics.median(run["peak_memory_mb"] for run in runs)),
        "median_step_seconds": steps,
        "median_code_generation": {
            name: statistics.median(run["code_generation"][name] for run in runs) for name in runs[0]["code_generation"]
        },
    }


def layer_totals(steps: dict[str, float]) -> dict[str, float]:
    """The steps that are not tables: Spark start, each layer's wall time, the sanity check."""
    return {name: round(seconds, 1) for name, seconds in steps.items() if "/" not in name}


def markdown(results: dict) -> str:
    info = results["machine"]
    lines = [
        f"# Benchmark, {results['finished_at']}",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; Python {info['python']}, "
        f"{info['java']}; load average at start {info['load_average_at_start']}.",
        f"Command: `{results['command']}`",
        "",
        "| size | scenario | runs | median wall s | x floor | min..max s | peak MB | spark start | bronze | silver | gold "
        "| sanity check | classes compiled (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["results"]:
        layers = layer_totals(row["median_step_seconds"])
        compiled = row["median_code_generation"]
        compiled_text = f"{compiled['classes_compiled']:.0f} ({compiled['compile_seconds']:.1f})" if compiled else "-"
        lines.append(
            f"| {row['size']}x ({row['customers']:,} customers) | {row['scenario']} | {row['runs']} "
            f"| **{row['median_wall_seconds']}** | {row['times_floor']:.2f} "
            f"| {row['min_wall_seconds']}..{row['max_wall_seconds']} "
            f"| {row['median_peak_memory_mb']:,} | {layers.get('spark_start', 0)} | {layers.get('bronze', '-')} "
            f"| {layers.get('silver', '-')} | {layers.get('gold', '-')} | {layers.get('sanity_check', '-')} "
            f"| {compiled_text} |"
        )
    lines += ["", "Median seconds per table (from the run records):", ""]
    for row in results["results"]:
        if not row["median_step_seconds"]:
            continue
        steps = ", ".join(f"{name} {seconds}" for name, seconds in row["median_step_seconds"].items())
        lines.append(f"- {row['size']}x {row['scenario']}: {steps}")
    return "\n".join(lines) + "\n"


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1", help="comma-separated multiples of 12,500 customers (default: 1)")
    parser.add_argument(
        "--scenarios", default="full,new_month", help="comma-separated, of full,new_month,warm (the floor always runs)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per size and scenario (default: 5)")
    parser.add_argument(
        "--work-dir",
        default=os.path.join(tempfile.gettempdir(), "datamart-benchmark"),
        help="where data and datamarts go (default: $TMPDIR/datamart-benchmark)",
    )
    parser.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra Spark setting for every run (repeatable), to compare a change",
    )
    parser.add_argument("--out", default=str(REPO / "benchmarks"), help="folder for results.md and results.json")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_arguments(argv)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.spark_conf:
        env["PYSPARK_SUBMIT_ARGS"] = " ".join(f"--conf {setting}" for setting in args.spark_conf) + " pyspark-shell"
    results = {"command": " ".join(["python benchmarks/run.py", *argv]), "machine": machine(), "results": []}
    for size in (int(text) for text in args.sizes.split(",")):
        data = generate(size, work)
        floor = None
        for scenario in ["floor", *args.scenarios.split(",")]:
            print(f"{size}x, {scenario}:", flush=True)
            runs = measure(scenario, data, work / f"{size}x-{scenario}", env, args.repeats)
            summary = summarise(runs)
            floor = floor or summary["median_wall_seconds"]
            results["results"].append(
                {
                    "size": size,
                    "customers": size * DEFAULT_CUSTOMERS,
                    "scenario": scenario,
                    **summary,
                    "times_floor": round(summary["median_wall_seconds"] / floor, 2),
                    "all_runs": runs,
                }
            )
    results["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(markdown(results))
    print()
    print(markdown(results))


if __name__ == "__main__":
    main(sys.argv[1:])
