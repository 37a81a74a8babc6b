"""The catalogue of tables: every table's layer, name and path in the datamart, in one place.

Jobs, the checks, the report and the notebooks ask here where a table lives, so a table
is never spelt two ways. Names are `<layer>/<table>` as they appear on disk; side tables
(bronze rejects, silver quarantine) sit under an underscore folder of their layer.
"""

from dataclasses import dataclass
from datetime import datetime

from utils.platform import storage
from utils.sources.registry import SOURCES, Source


@dataclass(frozen=True)
class Table:
    layer: str  # bronze, silver or gold
    table: str  # the folder under the layer, e.g. "loan_daily" or "_quarantine/loan_daily"
    description: str

    @property
    def name(self) -> str:
        return f"{self.layer}/{self.table}"

    def path(self, datamart_dir: str) -> str:
        return storage.join(datamart_dir, self.layer, *self.table.split("/"))


def bronze_table(source: Source) -> Table:
    return Table("bronze", source.stem, f"the raw rows of {source.file_name} per month, every value as text")


def bronze_rejects_table(source: Source) -> Table:
    return Table("bronze", f"_rejects/{source.stem}", f"rows of {source.file_name} whose snapshot_date is unreadable")


def bronze_history_table(source: Source) -> Table:
    return Table(
        "bronze",
        f"_history/{source.stem}",
        f"superseded months of bronze/{source.stem}, one month-partitioned table per ingestion, without personal data",
    )


VERSION_PREFIX = "ingested_at="
VERSION_FORMAT = "%Y%m%dT%H%M%SZ"  # a folder name: no colons


def silver_table(source: Source) -> Table:
    return Table("silver", source.silver_table, f"{source.file_name} typed, cleaned and without personal data")


def quarantine_table(source: Source) -> Table:
    return Table(
        "silver", f"_quarantine/{source.silver_table}", f"rows of bronze/{source.stem} a blocking rule held back"
    )


def held_back_table(store: str) -> Table:
    return Table("gold", f"_held_back/{store}", f"loans in silver kept out of gold/{store}, each with its reason")


LABEL_STORE = Table("gold", "label_store", "one label per loan at the label's months on book")
FEATURE_STORE = Table("gold", "feature_store", "one point-in-time feature row per loan application")
FEATURE_DRIFT = Table("gold", "feature_drift", "population stability of every feature per application month")

# The main tables in pipeline order (side tables of rejects, history and quarantine not included).
TABLES: tuple[Table, ...] = (
    *[bronze_table(source) for source in SOURCES],
    *[silver_table(source) for source in SOURCES],
    LABEL_STORE,
    FEATURE_STORE,
    FEATURE_DRIFT,
)


def bronze_table_path(datamart_dir: str, source: Source) -> str:
    return bronze_table(source).path(datamart_dir)


def bronze_rejects_path(datamart_dir: str, source: Source) -> str:
    return bronze_rejects_table(source).path(datamart_dir)


def bronze_history_path(datamart_dir: str, source: Source) -> str:
    return bronze_history_table(source).path(datamart_dir)


def bronze_version_path(datamart_dir: str, source: Source, ingested_at: datetime) -> str:
    """The superseded months of one ingestion: a table of its own, never rewritten by a later one."""
    return storage.join(bronze_history_path(datamart_dir, source), f"{VERSION_PREFIX}{ingested_at:{VERSION_FORMAT}}")


def silver_table_path(datamart_dir: str, source: Source) -> str:
    return silver_table(source).path(datamart_dir)


def quarantine_table_path(datamart_dir: str, source: Source) -> str:
    return quarantine_table(source).path(datamart_dir)


def label_store_path(datamart_dir: str) -> str:
    return LABEL_STORE.path(datamart_dir)


def feature_store_path(datamart_dir: str) -> str:
    return FEATURE_STORE.path(datamart_dir)


def feature_drift_path(datamart_dir: str) -> str:
    return FEATURE_DRIFT.path(datamart_dir)


def held_back_path(datamart_dir: str, store: str) -> str:
    return held_back_table(store).path(datamart_dir)


def dictionary_path(datamart_dir: str) -> str:
    """The feature store's column dictionary, a CSV beside the table."""
    return storage.join(datamart_dir, "gold", "feature_store_dictionary.csv")
