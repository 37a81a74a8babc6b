"""Spark's own floor: a bare PySpark script with the datamart's input/output shape.

    python benchmarks/floor.py --data-dir DIR --out DIR

What a full run needs Spark to do at the least, with none of the datamart's checks: start
Spark; read the four CSVs (ISO dates) as text and write them partitioned by month (bronze); read them
back with casts and write them again (silver); one as-of join of each application with the
customer's clickstream up to its month and 20 means (features); the loans at six months on
book with an overdue flag (labels); write both. Settings: 4 shuffle partitions, no
adaptive execution, otherwise Spark's defaults. benchmarks/run.py runs it in every
invocation, so each scenario is reported as a ratio to this floor on the same machine.
"""

import argparse
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

SOURCES = ("lms_loan_daily", "feature_clickstream", "features_attributes", "features_financials")
CLICK_COLUMNS = [f"fe_{i}" for i in range(1, 21)]
NUMBERS = {  # the columns cast to numbers on the way to "silver"; every other column stays text
    "lms_loan_daily": ["tenure", "installment_num", "loan_amt", "due_amt", "paid_amt", "overdue_amt", "balance"],
    "feature_clickstream": CLICK_COLUMNS,
    "features_attributes": ["Age"],
    "features_financials": ["Annual_Income", "Monthly_Inhand_Salary", "Interest_Rate", "Outstanding_Debt"],
}


def run_floor(spark: SparkSession, data_dir: str, out_dir: str) -> None:
    for source in SOURCES:
        raw = spark.read.option("header", True).csv(f"{data_dir}/{source}.csv")
        raw.write.mode("overwrite").partitionBy("snapshot_date").parquet(f"{out_dir}/bronze/{source}")
    for source in SOURCES:
        bronze = spark.read.parquet(f"{out_dir}/bronze/{source}")
        typed = bronze.withColumns({column: F.col(column).try_cast("double") for column in NUMBERS[source]})
        typed = typed.withColumn("snapshot_date", F.to_date("snapshot_date"))
        if source == "lms_loan_daily":
            typed = typed.withColumn("loan_start_date", F.to_date("loan_start_date"))
        typed.write.mode("overwrite").partitionBy("snapshot_date").parquet(f"{out_dir}/silver/{source}")
    loans = spark.read.parquet(f"{out_dir}/silver/lms_loan_daily")
    clicks = spark.read.parquet(f"{out_dir}/silver/feature_clickstream").withColumnRenamed(
        "snapshot_date", "click_month"
    )
    applications = loans.where(F.col("installment_num") == 0).select("loan_id", "Customer_ID", "snapshot_date")
    features = (
        applications.join(clicks, "Customer_ID")
        .where(F.col("click_month") <= F.col("snapshot_date"))
        .groupBy("loan_id", "snapshot_date")
        .agg(*[F.avg(column).alias(f"{column}_mean") for column in CLICK_COLUMNS])
    )
    features.write.mode("overwrite").partitionBy("snapshot_date").parquet(f"{out_dir}/gold/feature_store")
    labels = loans.where(F.col("installment_num") == 6).select(
        "loan_id", "snapshot_date", (F.col("overdue_amt") > 0).cast("int").alias("label")
    )
    labels.write.mode("overwrite").partitionBy("snapshot_date").parquet(f"{out_dir}/gold/label_store")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, help="folder with the four source CSVs")
    parser.add_argument("--out", required=True, help="folder the tables are written to (replaced)")
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    spark = (
        SparkSession.builder.master(args.master)
        .appName("floor")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate()
    )
    run_floor(spark, args.data_dir, args.out)
    spark.stop()
    print(f"floor: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
