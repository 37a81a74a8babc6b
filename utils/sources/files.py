"""Finding and checking the four source CSVs before any Spark work starts on them."""

import codecs
import json

from utils.platform import storage
from utils.platform.errors import UserError
from utils.sources.registry import SOURCES, Source

# Written next to generated CSVs, so a run can tell synthetic data from a user's own files.
SYNTHETIC_MARKER = ".synthetic.json"


def source_path(data_dir: str, source: Source) -> str:
    return storage.join(data_dir, source.file_name)


def present_sources(data_dir: str) -> list[Source]:
    if not storage.is_dir(data_dir):
        raise UserError(
            f"The data folder {data_dir} does not exist; create it and put the four source CSVs in it, or pass --data-dir with the folder that holds them."
        )
    names = set(storage.list_names(data_dir))
    return [source for source in SOURCES if source.file_name in names]


def require_all_sources(data_dir: str) -> None:
    present = present_sources(data_dir)
    missing = [source.file_name for source in SOURCES if source not in present]
    if not present:  # only an empty default data/ is filled in by itself (main.py, ensure_source_data)
        raise UserError(
            f"The data folder {data_dir} holds none of the four source files ({', '.join(missing)}); "
            f"put them there, or write the synthetic set there with `python main.py generate-data --out {data_dir}`."
        )
    if missing:
        raise UserError(
            f"The data folder {data_dir} lacks {', '.join(missing)}; add the missing file(s) so all four sources are there."
        )


def header_line(path: str) -> str:
    """The first line of a file as text, without byte-order mark or line ending."""
    head = storage.read_head(path)
    if not head.strip():
        raise UserError(f"{path} is empty; replace it with the full extract, header line first.")
    first_line = head.split(b"\n", 1)[0]
    if first_line.startswith(codecs.BOM_UTF8):
        first_line = first_line[len(codecs.BOM_UTF8) :]
    return first_line.decode("utf-8", errors="replace").rstrip("\r")


def check_header(path: str, source: Source) -> None:
    """The header must name exactly the contract's columns, in order: columns are read by position."""
    found = [name.strip().strip('"') for name in header_line(path).split(",")]
    expected = list(source.columns)
    if found == expected:
        return
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    if missing or unexpected:
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(unexpected)}" if unexpected else "",
            )
            if part
        )
        raise UserError(
            f"{path} has the wrong header ({detail}); its first line must be exactly: {','.join(expected)}."
        )
    raise UserError(
        f"{path} has the right columns in the wrong order; its first line must be exactly: {','.join(expected)}."
    )


def check_has_rows(path: str) -> None:
    lines = [line for line in storage.read_head(path).split(b"\n")[1:] if line.strip()]
    if not lines:
        raise UserError(f"{path} has a header but no rows; replace it with the full extract.")


def check_utf8(path: str) -> None:
    """Spark would silently turn bytes that are not UTF-8 into replacement characters."""
    with open(path, "rb") as handle:
        content = handle.read()
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise UserError(
            f"{path} is not UTF-8 text (byte 0x{content[error.start]:02x} on line {line}); "
            "re-save it as UTF-8 (in a spreadsheet tool: CSV UTF-8) and run again."
        ) from None


def may_hold_quoted_fields(path: str) -> bool:
    """False only for a local file without a single double quote; files on a cluster file
    system are not scanned."""
    if storage.is_uri(path):
        return True
    with open(path, "rb") as handle:
        return any(b'"' in block for block in iter(lambda: handle.read(1 << 20), b""))


def check_sources(data_dir: str) -> None:
    require_all_sources(data_dir)
    for source in SOURCES:
        path = source_path(data_dir, source)
        check_header(path, source)
        check_has_rows(path)
        if not storage.is_uri(path):
            check_utf8(path)


def write_synthetic_marker(data_dir: str, settings: dict) -> None:
    fingerprints = {
        source.file_name: storage.fingerprint(source_path(data_dir, source)).get("sha256") for source in SOURCES
    }
    storage.write_text(
        storage.join(data_dir, SYNTHETIC_MARKER), json.dumps({"generator": settings, "sha256": fingerprints}, indent=2)
    )


def data_origin(data_dir: str, fingerprints: dict[str, dict]) -> str:
    """'synthetic' when the files are exactly the ones the generator wrote, else 'user'."""
    marker_path = storage.join(data_dir, SYNTHETIC_MARKER)
    if storage.is_uri(data_dir) or not storage.exists(marker_path):
        return "user"
    with open(marker_path, encoding="utf-8") as handle:
        generated = json.load(handle)["sha256"]
    same = all(generated.get(name) == print_.get("sha256") for name, print_ in fingerprints.items())
    return "synthetic" if same else "user"
