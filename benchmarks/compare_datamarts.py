"""Compare two datamarts table by table and month by month: do they hold the same data?

    python benchmarks/compare_datamarts.py DATAMART_A DATAMART_B

Each month partition is compared by its parquet schema and by every value of every row,
exactly (rows in a canonical order: part-file names are random). Bronze rows carry the time
they were ingested, so bronze is compared without its _ingested_at column. Other files (the
feature dictionary) are compared by their bytes. Run records (_runs) always differ and are
skipped. The parquet files themselves are not compared by their bytes: the writer lists the
encodings of a column chunk in the order of a Java HashSet of enums, which changes from one
JVM to the next, so two identical runs give files that differ in a few footer bytes.
Exits 0 when everything matches, 1 and a list of the differences otherwise.
"""

import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

SKIPPED = {"_runs", "_lock"}


def schema(folder: Path) -> set[str]:
    return {str(pq.read_schema(path).remove_metadata()) for path in folder.glob("*.parquet")}


def rows(folder: Path, leave_out: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.read_parquet(folder).drop(columns=list(leave_out))
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def leaf_folders(datamart: Path) -> set[str]:
    return {
        str(path.parent.relative_to(datamart))
        for path in datamart.rglob("*.parquet")
        if path.relative_to(datamart).parts[0] not in SKIPPED
    }


def other_files(datamart: Path) -> set[str]:
    return {
        str(path.relative_to(datamart))
        for path in datamart.rglob("*")
        if path.is_file()
        and path.suffix not in {".parquet", ".crc"}
        and path.name != "_SUCCESS"
        and path.relative_to(datamart).parts[0] not in SKIPPED
    }


def differences(left: Path, right: Path) -> list[str]:
    found = []
    folders_left, folders_right = leaf_folders(left), leaf_folders(right)
    found += [f"only in {left}: {name}" for name in sorted(folders_left - folders_right)]
    found += [f"only in {right}: {name}" for name in sorted(folders_right - folders_left)]
    for name in sorted(folders_left & folders_right):
        leave_out = ("_ingested_at",) if name.startswith("bronze") else ()
        if schema(left / name) != schema(right / name):
            found.append(f"schemas differ: {name}")
        elif not rows(left / name, leave_out).equals(rows(right / name, leave_out)):
            found.append(f"rows differ: {name}")
    for name in sorted(other_files(left) | other_files(right)):
        if not ((left / name).exists() and (right / name).exists()):
            found.append(f"only in one datamart: {name}")
        elif (left / name).read_bytes() != (right / name).read_bytes():
            found.append(f"bytes differ: {name}")
    return found


if __name__ == "__main__":
    left, right = Path(sys.argv[1]), Path(sys.argv[2])
    found = differences(left, right)
    print(
        "\n".join(found) if found else f"{left} and {right} hold the same data ({len(leaf_folders(left))} partitions)."
    )
    sys.exit(1 if found else 0)
