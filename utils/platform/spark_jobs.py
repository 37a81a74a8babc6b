"""Spark jobs counted per step of a run: a query added by a change shows in the run record.

Each step runs under its own Spark job group (a thread-local property of the driver), and
the status tracker lists the jobs that ran in a group. A group's name carries the run's id,
so runs in one long-lived session (a notebook, the test suite) are counted apart.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession

GROUP_PROPERTY = "spark.jobGroup.id"


def group_name(run_id: str, step: str) -> str:
    return f"{run_id} {step}"


@contextmanager
def jobs_in_group(spark: SparkSession, group: str) -> Iterator[None]:
    """The jobs started inside the block belong to `group` (the previous group is restored)."""
    context = spark.sparkContext
    previous = context.getLocalProperty(GROUP_PROPERTY)
    context.setJobGroup(group, group)
    try:
        yield
    finally:
        if previous is None:
            context.setLocalProperty(GROUP_PROPERTY, None)
            context.setLocalProperty("spark.job.description", None)
        else:
            context.setJobGroup(previous, previous)


def jobs_run(spark: SparkSession, group: str) -> int:
    """How many jobs have run in `group` (Spark keeps the last spark.ui.retainedJobs, 1,000)."""
    return len(spark.sparkContext.statusTracker().getJobIdsForGroup(group))
