"""Loan-default datamart: bronze, silver and gold Spark jobs over four monthly CSV extracts.

    python main.py                      run every layer over every month in data/
    python main.py run --start 2024-01-01 --end 2024-03-01 --layers silver
    python main.py generate-data        write the synthetic source CSVs
    python main.py check                the sanity classifier and leakage audit on the gold stores
    python main.py report               the slide deck and figures under reports/
    python main.py training-set --out training_sets/march
                                        a frozen training set, rebuildable and verifiable later

This file is the command line and the orchestration; the work lives in utils/.
"""

import argparse
import functools
import os
import sys
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime

from utils.platform import console, storage
from utils.platform.errors import NO_SPACE, DataContractError, UserError, is_disk_full
from utils.platform.run_record import RunRecord
from utils.sources.files import (
    SYNTHETIC_MARKER,
    check_sources,
    data_origin,
    present_sources,
    source_path,
    write_synthetic_marker,
)
from utils.sources.months import parse_month_flag, select_months
from utils.sources.registry import SOURCES, Source

LAYERS = ("bronze", "silver", "gold")
DEFAULT_DATA_DIR = "data"
DEFAULT_DATAMART_DIR = "datamart"
COMMANDS = ("run", "generate-data", "check", "report", "training-set")


# ---- command line ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="Build the loan-default datamart (bronze, silver, gold) from four monthly CSV extracts. "
        "Without a command, `run` is meant.",
    )
    commands = parser.add_subparsers(dest="command", metavar="{run,generate-data,check,report,training-set}")

    run = commands.add_parser(
        "run",
        help="run the layers over the months in the data (the default command)",
        description="Run bronze, silver and gold over the months in the data.",
    )
    run.add_argument(
        "--data-dir",
        default=os.environ.get("DATAMART_DATA_DIR", DEFAULT_DATA_DIR),
        help="folder (or URI) with the four source CSVs (default: data/, or $DATAMART_DATA_DIR); "
        "when data/ holds none of them, a synthetic set is generated there first",
    )
    run.add_argument(
        "--datamart-dir",
        default=os.environ.get("DATAMART_DIR", DEFAULT_DATAMART_DIR),
        help="folder (or URI) the datamart is written to (default: datamart/, or $DATAMART_DIR)",
    )
    run.add_argument("--start", help="first month to process, YYYY-MM-01 (default: the first month in the data)")
    run.add_argument("--end", help="last month to process, YYYY-MM-01 (default: the last month in the data)")
    run.add_argument(
        "--layers",
        default=",".join(LAYERS),
        help=f"comma-separated layers to run, any of {','.join(LAYERS)} (default: all)",
    )
    run.add_argument(
        "--master",
        default=os.environ.get("SPARK_MASTER", "local[*]"),
        help="Spark master URL (default: local[*], or $SPARK_MASTER), e.g. spark://host:7077",
    )
    run.add_argument(
        "--label-dpd", type=int, default=30, help="days past due that make a loan bad in the label store (default: 30)"
    )
    run.add_argument(
        "--label-mob", type=int, default=6, help="months on book at which the label is observed (default: 6)"
    )

    check = commands.add_parser(
        "check",
        help="the sanity classifier and leakage audit on the gold stores",
        description="Train on the gold stores by application month and audit them for leakage.",
    )
    check.add_argument(
        "--datamart-dir",
        default=os.environ.get("DATAMART_DIR", DEFAULT_DATAMART_DIR),
        help="the datamart to check (default: datamart/, or $DATAMART_DIR)",
    )
    check.add_argument(
        "--master",
        default=os.environ.get("SPARK_MASTER", "local[*]"),
        help="Spark master URL (default: local[*], or $SPARK_MASTER)",
    )
    check.add_argument(
        "--training-set",
        metavar="DIR",
        help="check a frozen training set (from `training-set --out DIR`) instead of the gold stores; "
        "no run record is written",
    )

    frozen = commands.add_parser(
        "training-set",
        help="write a frozen training set, or verify one",
        description="Write the labelled loans with their label and every feature-store column, as known at an "
        "instant, to a folder with a manifest; or rebuild one from its manifest and compare.",
    )
    frozen.add_argument(
        "--datamart-dir",
        default=os.environ.get("DATAMART_DIR", DEFAULT_DATAMART_DIR),
        help="the datamart whose bronze versions are used (default: datamart/, or $DATAMART_DIR); only read",
    )
    frozen.add_argument("--out", metavar="DIR", help="a new, local folder to write the training set to")
    frozen.add_argument(
        "--as-known-at",
        metavar="YYYY-MM-DDTHH:MM:SSZ",
        help="build from the bronze versions current at this UTC instant (default: now)",
    )
    frozen.add_argument(
        "--verify",
        metavar="DIR",
        help="rebuild DIR's training set from its manifest: exit 0 when the hash matches, else 1 and what differs",
    )
    frozen.add_argument("--label-dpd", type=int, default=30, help="days past due that make a loan bad (default: 30)")
    frozen.add_argument(
        "--label-mob", type=int, default=6, help="months on book at which the label is observed (default: 6)"
    )
    frozen.add_argument(
        "--master",
        default=os.environ.get("SPARK_MASTER", "local[*]"),
        help="Spark master URL (default: local[*], or $SPARK_MASTER)",
    )

    report = commands.add_parser(
        "report",
        help="the slide deck and figures, from the run records and gold tables",
        description="Write reports/: the 10-slide deck (PDF and PNG per slide) and its figures.",
    )
    report.add_argument(
        "--datamart-dir",
        default=os.environ.get("DATAMART_DIR", DEFAULT_DATAMART_DIR),
        help="the datamart to report on (default: datamart/, or $DATAMART_DIR)",
    )
    report.add_argument("--out", default="reports", help="folder for the deck and figures (default: reports/)")
    report.add_argument(
        "--master",
        default=os.environ.get("SPARK_MASTER", "local[*]"),
        help="Spark master URL (default: local[*], or $SPARK_MASTER)",
    )

    generate = commands.add_parser(
        "generate-data",
        help="write the synthetic source CSVs",
        description="Write the four synthetic source CSVs (same arguments give identical files).",
    )
    generate.add_argument("--out", default=DEFAULT_DATA_DIR, help="folder to write to (default: data/)")
    generate.add_argument("--customers", type=int, default=12500, help="number of customers (default: 12500)")
    generate.add_argument("--start", default="2023-01-01", help="first snapshot month (default: 2023-01-01)")
    generate.add_argument("--months", type=int, default=24, help="number of monthly snapshots (default: 24)")
    generate.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    generate.add_argument(
        "--date-format",
        default="iso",
        choices=("iso", "mdy", "mdyy"),
        help="how dates are written: 2023-05-01 (iso), 5/1/2023 (mdy) or 5/1/23 (mdyy)",
    )
    return parser


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
        argv = ["run", *argv]  # `python main.py --start ...` means `run --start ...`
    return build_parser().parse_args(argv)


def parse_layers(text: str) -> list[str]:
    layers = [layer.strip() for layer in text.split(",") if layer.strip()]
    unknown = [layer for layer in layers if layer not in LAYERS]
    if unknown or not layers:
        raise UserError(
            f"--layers {text!r} names {', '.join(unknown) or 'no layer'}; use a comma-separated list of {', '.join(LAYERS)}."
        )
    return [layer for layer in LAYERS if layer in layers]


# ---- generate-data ---------------------------------------------------------------------------


def generate_data(
    out_dir: str,
    customers: int = 12500,
    start: date = date(2023, 1, 1),
    months: int = 24,
    seed: int = 42,
    date_format: str = "iso",
) -> dict[str, int]:
    from utils.sources.synthetic_data import generate_sources

    if customers < 1 or months < 1:
        raise UserError("--customers and --months must be at least 1.")
    taken = [source.file_name for source in SOURCES if os.path.exists(os.path.join(out_dir, source.file_name))]
    if taken and not os.path.exists(os.path.join(out_dir, SYNTHETIC_MARKER)):
        raise UserError(
            f"{out_dir} already holds {', '.join(taken)} that were not generated; choose another --out folder so your files are not overwritten."
        )
    rows = generate_sources(
        out_dir, customers=customers, start=start, months=months, seed=seed, date_format=date_format
    )
    write_synthetic_marker(
        out_dir,
        {
            "customers": customers,
            "start": start.isoformat(),
            "months": months,
            "seed": seed,
            "date_format": date_format,
        },
    )
    return rows


def command_generate(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    rows = generate_data(
        args.out, args.customers, parse_month_flag("--start", args.start), args.months, args.seed, args.date_format
    )
    for name, count in rows.items():
        console.say(f"  {name:<28} {count:>10,} rows")
    console.say(f"Wrote synthetic data to {args.out}/ in {time.perf_counter() - started:.1f} s.")


def ensure_source_data(data_dir: str) -> None:
    """A fresh clone runs out of the box: an empty default data/ gets the synthetic set.

    A folder the user named, or one holding some of the files, is never filled in."""
    if storage.is_uri(data_dir) or os.path.normpath(data_dir) != DEFAULT_DATA_DIR:
        return
    if os.path.isdir(data_dir) and not present_sources(data_dir):
        console.say(
            f"No source CSVs in {data_dir}/: generating the default synthetic data set there first "
            "(12,500 customers, 24 months from 2023-01-01). Put your own four CSVs there to use real data."
        )
        started = time.perf_counter()
        generate_data(data_dir)
        console.say(f"Generated synthetic data in {time.perf_counter() - started:.1f} s.")


# ---- run -------------------------------------------------------------------------------------


@contextmanager
def table_step(spark, record: RunRecord, layer: str, table: str):
    """One table's step: its console line, and its Spark jobs in a group of their own."""
    from utils.platform.spark_jobs import group_name, jobs_in_group

    with console.step(layer, table) as line, jobs_in_group(spark, group_name(record.run_id, f"{layer}/{table}")):
        yield line


def record_table(spark, record: RunRecord, layer: str, table: str, seconds: float, details: dict) -> None:
    """The table's counts in the run record, with the number of Spark jobs its step ran."""
    from utils.platform.spark_jobs import group_name, jobs_run

    jobs = jobs_run(spark, group_name(record.run_id, f"{layer}/{table}"))
    record.add_table(layer, table, seconds, {"spark_jobs": jobs, **details})


def run_bronze(spark, args, record: RunRecord, start: date | None, end: date | None) -> list[date]:
    """Each file is read once, into a staging folder. The run's months are known when all four
    are read; only then does bronze change (and on a --start or --end outside the data, it does not)."""
    from utils.bronze.ingest import load_source, publish_bronze, stage_bronze
    from utils.bronze.versions import ingestion_second
    from utils.platform.run_record import finished_at, latest_run
    from utils.platform.side_by_side import build_side_by_side
    from utils.platform.spark_jobs import group_name, jobs_in_group
    from utils.tables import bronze_table_path

    ingested_at = ingestion_second(datetime.now(UTC), finished_at(latest_run(args.datamart_dir)))
    time.sleep(max(0.0, (ingested_at - datetime.now(UTC)).total_seconds()))  # read no earlier than its date
    tagged, staged, seconds = {}, {}, {}

    def stage(source: Source) -> None:
        with table_step(spark, record, "bronze", source.stem) as line:
            tagged[source] = load_source(spark, source_path(args.data_dir, source), source, ingested_at)
            staged[source] = stage_bronze(
                spark, tagged[source], source, bronze_table_path(args.datamart_dir, source), start, end
            )
            line.months, line.rows = len(staged[source].rows_per_month), sum(staged[source].rows_per_month.values())
            rejected = staged[source].rejected
            line.note = f"{rejected:,} rejected -> bronze/_rejects/{source.stem}" if rejected else ""
        seconds[source] = line.seconds

    def publish(source: Source, months: list[date]) -> tuple:
        started = time.perf_counter()
        one = staged.pop(source)
        with jobs_in_group(spark, group_name(record.run_id, f"bronze/{source.stem}")):
            published = publish_bronze(spark, tagged[source], source, one, args.datamart_dir, months, ingested_at)
        return one, published, seconds[source] + time.perf_counter() - started

    try:
        build_side_by_side(spark, [functools.partial(stage, source) for source in SOURCES])
        # Only the range was staged; each file's first and last month let select_months check
        # --start/--end against everything the files hold, as if every month were listed.
        file_bounds = {month for one in staged.values() for month in (one.first_month, one.last_month) if month}
        months = select_months(sorted(file_bounds.union(*[one.rows_per_month for one in staged.values()])), start, end)
        record.content["months"] = months
        console.say(f"Months {months[0]} to {months[-1]} ({len(months)}), layers: {args.layers}")
        for note in months_missing_from_sources({source: one.rows_per_month for source, one in staged.items()}, months):
            console.say(f"  note: {note}")
        results = build_side_by_side(spark, [functools.partial(publish, source, months) for source in SOURCES])
        for source, (one, published, table_seconds) in zip(SOURCES, results, strict=True):
            if published.revisions:
                console.say(f"  revised: {revision_line(source.stem, published.revisions)}")
            record_table(
                spark,
                record,
                "bronze",
                source.stem,
                table_seconds,
                {
                    "months": {month: {"rows": one.rows_per_month.get(month, 0)} for month in months},
                    "rows_rejected": one.rejected,
                    "unchanged_months": published.unchanged,
                    "revisions": published.revisions,
                },
            )
    finally:
        for unpublished in staged.values():  # a run that stopped before publishing leaves bronze as it was
            storage.delete(unpublished.staged)
    return months


def revision_line(stem: str, revisions: dict[date, dict[str, int]]) -> str:
    """`features_financials 2023-03-01 (2 changed, 1 removed); old rows kept in bronze/_history/...`."""
    months = ", ".join(
        f"{month} ({', '.join(f'{count:,} {kind}' for kind, count in counts.items() if count)})"
        for month, counts in revisions.items()
    )
    return f"{stem} {months}; the replaced rows are kept in bronze/_history/{stem}"


def months_missing_from_sources(counts: dict, months: list[date]) -> list[str]:
    """A month one source has and another lacks is processed, but a person should know."""
    return [
        f"{source.file_name} has no rows for {', '.join(m.isoformat() for m in missing)}, which other sources have"
        for source, per_month in counts.items()
        if (missing := [month for month in months if not per_month.get(month)])
    ]


def months_in_bronze(args, start: date | None, end: date | None) -> list[date]:
    from utils.platform.partitions import months_present
    from utils.tables import bronze_table_path

    available = sorted(
        {month for source in SOURCES for month in months_present(bronze_table_path(args.datamart_dir, source))}
    )
    if not available:
        raise UserError(
            f"{args.datamart_dir} has no bronze tables yet; run the bronze layer first (--layers bronze,silver)."
        )
    return select_months(available, start, end)


def run_silver(spark, args, record: RunRecord, months: list[date]) -> None:
    from utils.platform.side_by_side import build_side_by_side
    from utils.silver.build import build_silver_table

    def build(source: Source) -> tuple:
        with table_step(spark, record, "silver", source.silver_table) as line:
            counts = build_silver_table(spark, args.datamart_dir, source, months)
            line.months = sum(1 for month in counts.values() if month["rows_out"])
            line.rows = sum(month["rows_out"] for month in counts.values())
            held = sum(month["rows_quarantined"] for month in counts.values())
            nulled = sum(hits for month in counts.values() for hits in month["rule_hits"].values())
            line.note = ", ".join(
                part
                for part in (f"{nulled:,} values cleaned" if nulled else "", f"{held:,} quarantined" if held else "")
                if part
            )
        return line.seconds, counts

    built = build_side_by_side(spark, [functools.partial(build, source) for source in SOURCES])
    for source, (seconds, counts) in zip(SOURCES, built, strict=True):
        record_table(spark, record, "silver", source.silver_table, seconds, {"months": counts})


def run_gold(spark, args, record: RunRecord, months: list[date]) -> None:
    from utils.gold.build import build_feature_table, build_label_table, every_silver_loan
    from utils.gold.feature_drift import build_feature_drift
    from utils.gold.label_store import LabelDefinition
    from utils.platform.side_by_side import build_side_by_side

    definition = LabelDefinition(dpd=args.label_dpd, mob=args.label_mob)

    def label_store() -> tuple:
        with table_step(spark, record, "gold", "label_store") as line:
            labels = build_label_table(spark, args.datamart_dir, months, definition, silver_loans)
            line.months = sum(1 for month in labels["months"].values() if month["rows"])
            line.rows = sum(month["rows"] for month in labels["months"].values())
            bad = sum(month["bad"] for month in labels["months"].values())
            line.note = (
                f"{definition.name}, label rate {bad / line.rows:.1%}"
                if line.rows
                else f"{definition.name}, no loan reaches mob {definition.mob} yet"
            )
        return line.seconds, labels

    def feature_store() -> tuple:
        with table_step(spark, record, "gold", "feature_store") as line:
            features = build_feature_table(spark, args.datamart_dir, months, silver_loans)
            line.months = sum(1 for month in features["months"].values() if month["rows"])
            line.rows = sum(month["rows"] for month in features["months"].values())
            held = sum(month["held_back"] for month in features["months"].values())
            line.note = f"{features['columns']} columns" + (
                f", {held:,} loans held back -> gold/_held_back" if held else ""
            )
        return line.seconds, features

    silver_loans = every_silver_loan(spark, args.datamart_dir).persist()  # both stores account against it
    try:
        (label_seconds, labels), (feature_seconds, features) = build_side_by_side(spark, [label_store, feature_store])
    finally:
        silver_loans.unpersist()
    record_table(spark, record, "gold", "label_store", label_seconds, labels)
    record_table(spark, record, "gold", "feature_store", feature_seconds, features)
    with table_step(spark, record, "gold", "feature_drift") as line:
        drift = build_feature_drift(spark, args.datamart_dir, months)
        line.months = len(drift["months"])
        line.rows = sum(month["rows"] for month in drift["months"].values())
        line.note = (
            f"PSI against {drift['reference_start']:%Y-%m}..{drift['reference_end']:%Y-%m}"
            if drift.get("reference_start")
            else ""
        )
    record_table(spark, record, "gold", "feature_drift", line.seconds, drift)


def run_check(spark, datamart_dir: str, record: RunRecord) -> None:
    from utils.checks.sanity_classifier import run_sanity_check
    from utils.platform.spark_jobs import group_name, jobs_in_group, jobs_run

    started = time.perf_counter()
    group = group_name(record.run_id, "sanity_check")
    with jobs_in_group(spark, group):
        result = run_sanity_check(spark, datamart_dir)
    console.say()
    console.say(result["text"])
    console.say()
    record.content["sanity_check"] = {key: value for key, value in result.items() if key != "text"}
    record.content["sanity_check"]["seconds"] = round(time.perf_counter() - started, 3)
    record.content["sanity_check"]["spark_jobs"] = jobs_run(spark, group)


def command_check(args: argparse.Namespace) -> None:
    from utils.checks.sanity_classifier import run_sanity_check
    from utils.platform.spark_session import start_spark

    if args.training_set:  # a frozen set's check is not the datamart's: no run record
        result = run_sanity_check(None, "", frozen=args.training_set)  # pandas only: no Spark
        console.say(result["text"])
        return
    args.datamart_dir = storage.absolute(args.datamart_dir)
    record = RunRecord("check", {"datamart_dir": args.datamart_dir, "master": args.master})
    spark = start_spark(args.master, args.short_lived)
    run_check(spark, args.datamart_dir, record)
    record.finish("succeeded")
    console.say(f"Run record: {record.write(args.datamart_dir)}")


def command_report(args: argparse.Namespace) -> None:
    from utils.platform.spark_session import start_spark
    from utils.report.deck import DECK, write_report

    datamart_dir = storage.absolute(args.datamart_dir)
    paths = write_report(start_spark(args.master, args.short_lived), datamart_dir, args.out)
    console.say(f"Wrote {os.path.join(args.out, DECK)} and {len(paths) - 1} more files to {args.out}/.")


def check_training_set_flags(args: argparse.Namespace) -> None:
    if args.verify and (args.out or args.as_known_at):
        raise UserError(
            "--verify rebuilds from the folder's manifest, which fixes the instant and the label; "
            "give --verify DIR alone, or --out DIR (and --as-known-at) to make a new one."
        )
    if not args.verify and not args.out:
        raise UserError("training-set needs --out DIR to write a training set, or --verify DIR to check one.")
    if args.label_dpd < 1 or args.label_mob < 1:
        raise UserError("--label-dpd and --label-mob must be at least 1.")
    if args.out and os.path.exists(args.out) and os.listdir(args.out):
        raise UserError(f"--out {args.out} is not empty; a training set is never overwritten, give a new folder.")
    if args.out and not storage.is_uri(args.datamart_dir):
        datamart = os.path.abspath(args.datamart_dir)
        if os.path.commonpath([os.path.abspath(args.out), datamart]) == datamart:
            raise UserError(f"--out {args.out} is inside the datamart {datamart}; write the training set elsewhere.")


def command_training_set(args: argparse.Namespace) -> int:
    from utils.checks.training_set import (
        build_training_set,
        format_instant,
        manifest_of,
        parse_instant,
        verify_training_set,
        write_training_set,
    )
    from utils.gold.label_store import LabelDefinition
    from utils.platform.spark_session import start_spark

    check_training_set_flags(args)
    datamart_dir = storage.absolute(args.datamart_dir)
    now = datetime.now(UTC).replace(microsecond=0)
    instant = parse_instant("--as-known-at", args.as_known_at) if args.as_known_at else now
    if instant > now:
        raise UserError(
            f"--as-known-at {args.as_known_at} is in the future; later extracts could still change it, give a past instant."
        )
    spark = start_spark(args.master, args.short_lived)
    if args.verify:
        verified, lines = verify_training_set(spark, datamart_dir, args.verify)
        for line in lines:
            console.say(line)
        return 0 if verified else 1
    definition = LabelDefinition(dpd=args.label_dpd, mob=args.label_mob)
    training_set = build_training_set(spark, datamart_dir, instant, definition)
    manifest = manifest_of(training_set, instant, definition, now)
    write_training_set(args.out, training_set, manifest)
    rate = f", label rate {manifest['label_rate']:.1%}" if manifest["rows"] else ""
    console.say(
        f"Wrote {manifest['rows']:,} labelled loans ({definition.name}{rate}) as known at {format_instant(instant)} "
        f"to {args.out}/ (content_sha256 {manifest['content_sha256']})."
    )
    return 0


def summary(record: RunRecord) -> list[str]:
    """A few lines a person reads at the end of a run."""
    layers = record.content["layers"]
    months = record.content["months"]
    steps = {"Spark start": record.content["spark"]["start_seconds"], **record.content["seconds_by_layer"]}
    if "sanity_check" in record.content:
        steps["sanity check"] = record.content["sanity_check"]["seconds"]
    lines = [
        f"Done in {record.content['seconds']:.1f} s ({', '.join(f'{name} {seconds:.1f}' for name, seconds in steps.items())}), "
        f"{len(months)} months {months[0]} to {months[-1]}."
    ]
    if "bronze" in layers:
        rows = sum(m["rows"] for table in layers["bronze"].values() for m in table["months"].values())
        rejected = sum(table["rows_rejected"] for table in layers["bronze"].values())
        lines.append(f"  bronze  {rows:,} rows ingested, {rejected:,} rejected (see bronze/_rejects)")
    if "silver" in layers:
        rows = sum(m["rows_out"] for table in layers["silver"].values() for m in table["months"].values())
        held = sum(m["rows_quarantined"] for table in layers["silver"].values() for m in table["months"].values())
        lines.append(
            f"  silver  {rows:,} rows, {held:,} quarantined; bronze = silver + quarantine in every table and month"
        )
    if "gold" in layers:
        labels = layers["gold"]["label_store"]
        labelled = sum(m["rows"] for m in labels["months"].values())
        bad = sum(m["bad"] for m in labels["months"].values())
        features = layers["gold"]["feature_store"]
        applications = sum(m["rows"] for m in features["months"].values())
        rate = f" ({bad / labelled:.1%} bad)" if labelled else ""
        lines.append(
            f"  gold    {labelled:,} labelled loans{rate}, {labels['label_def']}; {applications:,} applications in the feature store"
        )
        lines.append(f"          {accounted('loans in silver', 'applications', features)}")
        lines.append(f"          {accounted('loans at the label months on book', 'labels', labels)}")
    return lines


def accounted(expected: str, stored: str, table: dict) -> str:
    """`9,400 loans in silver = 9,398 applications + 2 held back (first_snapshot_missing 2)`."""
    months = table["months"].values()
    reasons: dict[str, int] = {}
    for month in months:
        for reason, count in month["held_back_by_reason"].items():
            reasons[reason] = reasons.get(reason, 0) + count
    held = sum(reasons.values())
    why = f" ({', '.join(f'{reason} {count:,}' for reason, count in sorted(reasons.items()))}; see gold/_held_back)"
    return (
        f"{sum(m['expected'] for m in months):,} {expected} = {sum(m['rows'] for m in months):,} {stored} + "
        f"{held:,} held back{why if held else ''}"
    )


def run_layers(
    spark, args: argparse.Namespace, record: RunRecord, layers: list[str], start: date | None, end: date | None
) -> None:
    if "bronze" in layers:
        if storage.is_uri(args.data_dir):
            check_sources(args.data_dir)
        fingerprints = {source.file_name: storage.fingerprint(source_path(args.data_dir, source)) for source in SOURCES}
        record.content["data"] = {"origin": data_origin(args.data_dir, fingerprints), "files": fingerprints}
        console.say(f"Data: {args.data_dir} ({record.content['data']['origin']}); datamart: {args.datamart_dir}")
        with record.timed_layer("bronze"):
            months = run_bronze(spark, args, record, start, end)
    else:
        months = months_in_bronze(args, start, end)
        record.content["months"] = months
        console.say(f"Months {months[0]} to {months[-1]} ({len(months)}), layers: {args.layers}")
    if "silver" in layers:
        with record.timed_layer("silver"):
            run_silver(spark, args, record, months)
    if "gold" in layers:
        with record.timed_layer("gold"):
            run_gold(spark, args, record, months)
        run_check(spark, args.datamart_dir, record)


def command_run(args: argparse.Namespace) -> None:
    from utils.platform.class_archive import archive_in_use
    from utils.platform.code_generation import compiled_so_far
    from utils.platform.datamart_lock import datamart_lock
    from utils.platform.partitions import recover_interrupted_writes
    from utils.platform.spark_session import driver_jit, save_class_archive, start_spark

    start = parse_month_flag("--start", args.start) if args.start else None
    end = parse_month_flag("--end", args.end) if args.end else None
    if start and end and start > end:
        raise UserError(f"--start {start} is after --end {end}; swap them.")
    layers = parse_layers(args.layers)
    if args.label_dpd < 1 or args.label_mob < 1:
        raise UserError("--label-dpd and --label-mob must be at least 1.")
    if "bronze" in layers:
        ensure_source_data(args.data_dir)
    args.data_dir, args.datamart_dir = storage.absolute(args.data_dir), storage.absolute(args.datamart_dir)
    if "bronze" in layers and not storage.is_uri(args.data_dir):
        check_sources(args.data_dir)

    record = RunRecord(
        "run",
        {
            "data_dir": args.data_dir,
            "datamart_dir": args.datamart_dir,
            "start": start,
            "end": end,
            "layers": layers,
            "master": args.master,
            "label_dpd": args.label_dpd,
            "label_mob": args.label_mob,
        },
    )
    started = time.perf_counter()
    if storage.is_uri(args.datamart_dir):
        start_spark(args.master, args.short_lived)  # the lock lives on that file system, reached through Spark
    with datamart_lock(args.datamart_dir, record.run_id, console.say):
        spark = start_spark(args.master, args.short_lived)
        record.content["spark"] = {
            "version": spark.version,
            "master": args.master,
            "start_seconds": round(time.perf_counter() - started, 3),
            "class_archive": archive_in_use(spark),
            "driver_jit": driver_jit(spark),
        }
        compiled_before = compiled_so_far(spark)
        for action in recover_interrupted_writes(args.datamart_dir):
            console.say(f"Recovered after a crash: {action}.")
        try:
            run_layers(spark, args, record, layers, start, end)
        except (UserError, DataContractError) as error:
            record.finish("failed", str(error))
            record.write(args.datamart_dir)
            raise
        except Exception as error:
            if not is_disk_full(error):
                raise
            # Drop this run's unfinished writes (freeing their space): every table is as it
            # was before the run, or as the run had finished it.
            recover_interrupted_writes(args.datamart_dir)
            raise UserError(
                f"the disk holding {args.datamart_dir} is full ({NO_SPACE}); this run's unfinished writes were "
                "removed and every table is as it was before the run or as the run had finished it: "
                "free some space and rerun."
            ) from None
        record.content["spark"]["code_generation"] = compiled_so_far(spark).since(compiled_before)
        record.finish("succeeded")
        path = record.write(args.datamart_dir)
    for line in summary(record):
        console.say(line)
    console.say(f"Run record: {path}")
    started = time.perf_counter()
    if archive := save_class_archive(spark):
        console.say(
            f"Saved the Spark JVM's classes to {archive} in {time.perf_counter() - started:.1f} s, "
            "once per machine: later runs start about 3 s faster."
        )


def main(argv: list[str], short_lived: bool = False) -> int:
    """The command line. `short_lived`: this process exits after the command (python main.py),
    so Spark's driver is set for a quick start; a notebook or a test calls main in a session
    that lives on."""
    args = parse_arguments(argv)
    args.short_lived = short_lived
    try:
        if args.command == "generate-data":
            command_generate(args)
        elif args.command == "check":
            command_check(args)
        elif args.command == "report":
            command_report(args)
        elif args.command == "training-set":
            return command_training_set(args)
        else:
            command_run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DataContractError as error:
        print(f"run failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], short_lived=True))
