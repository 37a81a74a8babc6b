"""Independent tables of a layer built side by side, two at a time, in one Spark session.

A fresh `python main.py` kept the two cores only 74% busy when it built one table after
another: the driver plans and generates a query's code on one thread, and many stages of
these small tables have a single task. Two tables at a time filled 82% of them, and a full
run on the default data took 0.86 of the time, a new month 0.87 (benchmarks/HISTORY.md,
2026-12-07). More than two gained nothing on two cores.

Spark runs jobs from several driver threads at once; each table keeps its own job group
(a thread-local property), and each thread is given the session as its active one, as the
thread that started Spark has it, so code that asks for the active session finds it.
"""

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from py4j.clientserver import ClientServer
from pyspark import SparkContext
from pyspark.sql import SparkSession
from pyspark.util import inheritable_thread_target

TABLES_AT_ONCE = 2

Built = TypeVar("Built")


def pinned_threads() -> bool:
    """Whether each Python thread has a JVM thread of its own (PySpark's default): only then
    are job groups and the active session per thread. A session started with
    PYSPARK_PIN_THREAD=false shares them between threads, so its tables go one at a time."""
    return isinstance(SparkContext._gateway, ClientServer)


def in_session(spark: SparkSession, build: Callable[[], Built]) -> Callable[[], Built]:
    """`build`, made to run on another thread with this thread's Spark local properties and
    `spark` as its active session (PySpark's pinned threads start without one)."""
    session_class = SparkSession._get_j_spark_session_class(spark._jvm)

    def with_active_session() -> Built:
        session_class.setActiveSession(spark._jsparkSession)
        return build()

    return inheritable_thread_target(spark)(with_active_session)


def build_side_by_side(spark: SparkSession, builds: Sequence[Callable[[], Built]]) -> list[Built]:
    """Runs `builds`, TABLES_AT_ONCE at a time, and returns their results in their order.

    When one fails, the builds not yet started are not started, the running ones finish, and
    the failure of the first failed build (in their order) is raised: a table is either built
    whole or, as in a run that stopped before it, left as it was."""
    if len(builds) <= 1 or not pinned_threads():
        return [build() for build in builds]
    failed = threading.Event()

    def unless_one_failed(build: Callable[[], Built]) -> Callable[[], Built | None]:
        def run() -> Built | None:
            if failed.is_set():
                return None
            try:
                return build()
            except BaseException:
                failed.set()
                raise

        return run

    pool = ThreadPoolExecutor(TABLES_AT_ONCE, thread_name_prefix="table")
    try:
        futures = [pool.submit(in_session(spark, unless_one_failed(build))) for build in builds]
        wait(futures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an interrupt: start no more, let the running finish
    for future in futures:
        if future.exception() is not None:
            raise future.exception()
    return [future.result() for future in futures]
