"""Frozen training sets: the labelled loans and their features as they were known at an instant.

A training set is rebuilt from the bronze versions that were current at the instant
(utils/bronze/versions.py), through the same silver and gold transforms as the datamart,
in memory: the datamart's own tables are only read. The folder holds the rows as parquet
(rows/) and manifest.json: the instant, the code, the label definition, the bronze version
of every source and month, and `content_sha256`, a hash of the rows in a canonical order
and encoding. The same instant and the same code give the same hash, whatever was
re-extracted since; `verify` rebuilds from the manifest and says what differs.
"""

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from utils.bronze.versions import MonthVersion, bronze_as_known_at, first_ingestion, stored_copies
from utils.checks.leakage_audit import TARGET
from utils.gold.feature_store import FEATURES, build_feature_store
from utils.gold.label_store import LabelDefinition, build_labels
from utils.platform.code_version import code_version, describe
from utils.platform.errors import UserError
from utils.silver.build import cleaned_table
from utils.sources.registry import ATTRIBUTES, CLICKSTREAM, FINANCIALS, LOAN_DAILY, SOURCES

LABEL_SIDE = (TARGET, "label_def", "application_month")  # columns the join adds to the features
UNMATCHED = "labelled_without_features"  # key in a training set's .attrs and in the manifest
ROWS = "rows"
MANIFEST = "manifest.json"
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NULL = "\\N"  # a null's canonical text: no encoded value looks like it


def refuse_label_clashes(feature_columns) -> None:
    clashes = sorted(set(LABEL_SIDE) & set(feature_columns))
    if clashes:
        raise UserError(
            f"the feature store has column(s) {', '.join(clashes)}, which the sanity check adds from the "
            "label store; a feature named like the label leaks it. Rebuild the feature store without them."
        )


def labelled_features(labels: DataFrame, features: DataFrame) -> tuple[DataFrame, int]:
    """Loans with a known label joined to their feature row, with `application_month` (the
    feature store's snapshot_date), and the number of labelled loans with no feature row."""
    known = labels.where(F.col(TARGET).isNotNull()).select("loan_id", TARGET, "label_def")
    refuse_label_clashes(features.columns)
    features = features.withColumnRenamed("snapshot_date", "application_month")
    unmatched = known.join(features.select("loan_id"), "loan_id", "left_anti").count()
    return known.join(features, "loan_id"), unmatched


def labelled_features_frame(known: pd.DataFrame, features: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """`labelled_features` of pandas frames, the same columns in the same order, for labels
    already known: filtered before they became pandas, as Spark filters before toPandas, so an
    int label keeps its type (a column with nulls converts to floats)."""
    known = known[["loan_id", TARGET, "label_def"]]
    refuse_label_clashes(features.columns)
    features = features.rename(columns={"snapshot_date": "application_month"})
    unmatched = int((~known["loan_id"].isin(features["loan_id"])).sum())
    return known.merge(features, on="loan_id", how="inner"), unmatched


def parse_instant(flag: str, text: str) -> datetime:
    try:
        return datetime.strptime(text, INSTANT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise UserError(
            f"{flag} {text!r} is not an instant like 2026-03-01T09:30:00Z; give a UTC time to the second in that form."
        ) from None


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(INSTANT_FORMAT)


@dataclass(frozen=True)
class TrainingSet:
    rows: pa.Table  # sorted by loan_id
    versions: dict[str, dict[date, MonthVersion]]  # per source stem and month, the bronze version used
    labelled_without_features: int


def build_training_set(
    spark: SparkSession, datamart_dir: str, instant: datetime, definition: LabelDefinition
) -> TrainingSet:
    """Bronze as known at the instant, through silver and gold in memory, to labelled loans."""
    copies = {source: stored_copies(spark, datamart_dir, source) for source in SOURCES}
    first = first_ingestion(list(copies.values()))
    if first is None:
        raise UserError(f"{datamart_dir} has no bronze tables; run `python main.py` first.")
    if instant < first:
        raise UserError(
            f"--as-known-at {format_instant(instant)} is before the first ingestion into {datamart_dir} "
            f"({format_instant(first)}); give an instant on or after it."
        )
    silver, versions = {}, {}
    for source in SOURCES:
        bronze, versions[source.stem] = bronze_as_known_at(spark, source, copies[source], instant)
        if bronze is None:
            raise UserError(
                f"bronze/{source.stem} held no rows at {format_instant(instant)}; give a later --as-known-at."
            )
        silver[source] = cleaned_table(bronze, source).persist()
    try:
        loans = silver[LOAN_DAILY]
        features = build_feature_store(loans, silver[ATTRIBUTES], silver[FINANCIALS], silver[CLICKSTREAM])
        joined, unmatched = labelled_features(build_labels(loans, definition), features)
        rows = joined.toArrow().sort_by("loan_id")
    finally:
        for frame in silver.values():
            frame.unpersist()
    return TrainingSet(rows, versions, unmatched)


def canonical(value) -> str:
    """One text per value: floats by repr (every bit), dates in ISO, text quoted, null apart."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def canonical_rows(rows: pa.Table, columns: list[str]) -> list[tuple[str, list[str]]]:
    """Each row's loan_id and its values in the given column order, as canonical text."""
    values = [[canonical(value) for value in rows.column(column).to_pylist()] for column in columns]
    return [(loan_id, [column[i] for column in values]) for i, loan_id in enumerate(rows.column("loan_id").to_pylist())]


def content_sha256(rows: pa.Table) -> str:
    """sha256 of the column names and then every row, columns by name, rows by loan_id."""
    columns = sorted(rows.column_names)
    digest = hashlib.sha256(("\x1f".join(columns) + "\n").encode())
    for _, values in sorted(canonical_rows(rows, columns), key=lambda row: (row[0] or "", row[1])):
        digest.update(("\x1f".join(values) + "\n").encode())
    return digest.hexdigest()


def label_rate(rows: pa.Table) -> float | None:
    labels = rows.column(TARGET).to_pylist()
    return round(sum(labels) / len(labels), 6) if labels else None


def plain_versions(versions: dict[str, dict[date, MonthVersion]]) -> dict:
    return {
        stem: {
            month.isoformat(): {"ingested_at": format_instant(version.ingested_at), "fingerprint": version.fingerprint}
            for month, version in sorted(months.items())
        }
        for stem, months in versions.items()
    }


def manifest_of(training_set: TrainingSet, instant: datetime, definition: LabelDefinition, made_at: datetime) -> dict:
    return {
        "made_at": format_instant(made_at),
        "as_known_at": format_instant(instant),
        "code_version": code_version(),
        "label_definition": {"name": definition.name, "dpd": definition.dpd, "mob": definition.mob},
        "features": [feature.name for feature in FEATURES],
        "columns": training_set.rows.column_names,
        "bronze_versions": plain_versions(training_set.versions),
        "rows": training_set.rows.num_rows,
        "label_rate": label_rate(training_set.rows),
        UNMATCHED: training_set.labelled_without_features,
        "content_sha256": content_sha256(training_set.rows),
    }


def write_training_set(folder: str, training_set: TrainingSet, manifest: dict) -> None:
    """The rows first, the manifest last: a folder with a manifest is complete."""
    os.makedirs(os.path.join(folder, ROWS), exist_ok=True)
    pq.write_table(training_set.rows, os.path.join(folder, ROWS, "part-00000.parquet"))
    with open(os.path.join(folder, MANIFEST), "w") as out:
        json.dump(manifest, out, indent=1)
        out.write("\n")


def read_manifest(folder: str) -> dict:
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        raise UserError(f"{folder} holds no {MANIFEST}; give a folder written by `python main.py training-set --out`.")
    with open(path) as manifest:
        return json.load(manifest)


def read_rows(folder: str) -> pa.Table:
    return pq.read_table(os.path.join(folder, ROWS))


def read_frozen(folder: str) -> pd.DataFrame:
    """A frozen training set in the sanity check's shape (utils/checks/sanity_classifier.py)."""
    manifest = read_manifest(folder)
    frame = read_rows(folder).to_pandas()
    frame["application_month"] = pd.to_datetime(frame["application_month"])
    frame.attrs[UNMATCHED] = manifest[UNMATCHED]
    return frame


def differences(old: pa.Table, new: pa.Table, limit: int = 5) -> list[str]:
    """Rows added, removed and changed by loan_id, columns added and removed, and the columns
    whose values changed most."""
    lines = []
    for kind, names in (
        ("added", sorted(set(new.column_names) - set(old.column_names))),
        ("removed", sorted(set(old.column_names) - set(new.column_names))),
    ):
        if names:
            lines.append(f"columns {kind}: {', '.join(names)}")
    common = sorted(set(old.column_names) & set(new.column_names))
    before, after = dict(canonical_rows(old, common)), dict(canonical_rows(new, common))
    changed = sorted(loan for loan in before.keys() & after.keys() if before[loan] != after[loan])
    added, removed = sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys())
    lines.append(f"rows: {len(added):,} added, {len(removed):,} removed, {len(changed):,} changed (by loan_id)")
    for kind, loans in (("added", added), ("removed", removed), ("changed", changed)):
        if loans:
            lines.append(f"  {kind}: {', '.join(loans[:limit])}{' ...' if len(loans) > limit else ''}")
    by_column = Counter(
        column
        for loan in changed
        for column, was, now in zip(common, before[loan], after[loan], strict=True)
        if was != now
    )
    if by_column:
        lines.append(
            "values changed in: "
            + ", ".join(f"{column} ({count:,} rows)" for column, count in by_column.most_common(limit))
        )
    return lines


def version_text(version: dict | None) -> str:
    return f"the version ingested at {version['ingested_at']}" if version else "no version"


def version_differences(recorded: dict, rebuilt: dict) -> list[str]:
    """Source months whose bronze version is not the one the manifest names (history removed?)."""
    return [
        f"bronze/{stem} {month}: the manifest used {version_text(was)}, the rebuild found {version_text(now)}"
        for stem in sorted(recorded.keys() | rebuilt.keys())
        for month in sorted(recorded.get(stem, {}).keys() | rebuilt.get(stem, {}).keys())
        if (was := recorded.get(stem, {}).get(month)) != (now := rebuilt.get(stem, {}).get(month))
    ]


def verify_training_set(spark: SparkSession, datamart_dir: str, folder: str) -> tuple[bool, list[str]]:
    """Rebuild the folder's training set from its manifest; whether the hash matches, and what differs."""
    manifest = read_manifest(folder)
    label = manifest["label_definition"]
    instant = parse_instant("as_known_at in the manifest", manifest["as_known_at"])
    rebuilt = build_training_set(spark, datamart_dir, instant, LabelDefinition(dpd=label["dpd"], mob=label["mob"]))
    new_hash = content_sha256(rebuilt.rows)
    if new_hash == manifest["content_sha256"]:
        return True, [f"{folder} verified: the rebuild as known at {manifest['as_known_at']} has sha256 {new_hash}."]
    lines = [
        f"{folder} does not verify: the rebuild as known at {manifest['as_known_at']} has sha256 {new_hash}, "
        f"the manifest {manifest['content_sha256']}."
    ]
    lines += differences(read_rows(folder), rebuilt.rows)
    lines += version_differences(manifest["bronze_versions"], plain_versions(rebuilt.versions))
    now = code_version()
    if now != manifest["code_version"]:
        lines.append(
            f"code version changed from {describe(manifest['code_version'])} to {describe(now)}: "
            "the usual reason; check out the manifest's commit to rebuild it."
        )
    return False, lines
