"""Gold label store: did the loan go bad by its observation point?

One row per loan that reaches `mob = label_mob` in the data. The label is 1 when the loan
is `label_dpd` or more days past due at that snapshot (utils/silver/days_past_due.py), and the
row is dated at the month the label is observed, not the month the loan started.
"""

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


@dataclass(frozen=True)
class LabelDefinition:
    dpd: int = 30
    mob: int = 6

    @property
    def name(self) -> str:
        return f"{self.dpd}dpd_{self.mob}mob"


def build_labels(loan_daily: DataFrame, definition: LabelDefinition) -> DataFrame:
    """Labels from silver loan snapshots; a snapshot with unknown dpd gives a null label."""
    observed = loan_daily.where(F.col("mob") == definition.mob)
    return observed.select(
        "loan_id",
        "Customer_ID",
        F.when(F.col("dpd").isNotNull(), (F.col("dpd") >= definition.dpd).cast("int")).alias("label"),
        F.lit(definition.name).alias("label_def"),
        "snapshot_date",
    )
