"""Days past due on a loan snapshot: the rule the label is built on.

  mob                  = installment_num (months on book)
  installments_missed  = ceil(overdue_amt / due_amt), 0 when due_amt is 0
  first_missed_date    = snapshot_date minus installments_missed months
  dpd                  = days from first_missed_date to snapshot_date when overdue_amt > 0, else 0

So one missed installment is 28 to 31 days past due, depending on the month.
"""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def add_delinquency_columns(loans: DataFrame) -> DataFrame:
    overdue, due = F.col("overdue_amt"), F.col("due_amt")
    missed = F.when(due == 0, F.lit(0)).otherwise(F.ceil(overdue / due).cast("int"))
    return (
        loans.withColumn("mob", F.col("installment_num"))
        .withColumn("installments_missed", missed)
        .withColumn("first_missed_date", F.add_months(F.col("snapshot_date"), -F.col("installments_missed")))
        .withColumn(
            "dpd",
            F.when(overdue > 0, F.datediff(F.col("snapshot_date"), F.col("first_missed_date"))).when(
                overdue.isNotNull(), F.lit(0)
            ),
        )
    )
