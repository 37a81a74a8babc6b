"""Spark session set-up: one session per run, sized for a laptop, quiet, ANSI on."""

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pyspark.errors import PySparkRuntimeError
from pyspark.sql import SparkSession

from utils.platform import class_archive, forkless_fs, jupyter_kernel
from utils.platform.errors import UserError

LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
SUPPORTED_JAVA = (17, 21)

# The quality rules make Spark generate methods over HotSpot's 8,000-byte limit for JIT
# compilation; without this flag they run in the bytecode interpreter, several times slower.
JAVA_OPTIONS = f"-XX:-DontCompileHugeMethods -Dlog4j.configurationFile=file:{LOG_CONFIG}"
# A driver that runs one pipeline and exits (`python main.py`) compiles with C1 alone: on 2
# cores the C2 compiler's profiling and compiling cost a fresh run more than its faster code
# wins back (a new month in 0.82-0.89 of the time; Readme.txt, SPEED AND MEMORY). A session
# that lives on (a notebook, the tests, warm runs) keeps C2: its later runs took 24 s with it
# and 34 s without.
# C1 alone gets a 48 MB code cache: a fresh clone's first run (data generated, no class
# archive yet) filled it after about 95 s, and the JVM stopped compiling and said so on the
# console. 240 MB is the cache HotSpot gives C1 and C2 together.
SHORT_LIVED_DRIVER_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=240m")


def java_executable() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    return shutil.which("java")


@functools.cache  # one `java -version` per process: a warm session starts Spark for every run
def java_version_text(java: str) -> str:
    return subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr


def java_major_version(version_text: str) -> int | None:
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_text)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major  # "1.8" is Java 8


def require_java() -> tuple[str, str]:
    """Spark 4 needs Java 17 or 21; say so before Spark fails with a stack trace.

    Returns the java executable and its `java -version` text."""
    java = java_executable()
    if java is None:
        raise UserError(
            "Java was not found; install Java 17 (for example `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME to a Java 17 or 21 installation."
        )
    version_text = java_version_text(java)
    major = java_major_version(version_text)
    if major is None or major < SUPPORTED_JAVA[0]:
        raise UserError(
            f"{java} is Java {major or 'of an unknown version'}, but Spark 4 needs Java 17 or 21; install one and point JAVA_HOME at it."
        )
    return java, version_text


def spark_config(master: str, driver_java_options: Sequence[str] = ()) -> dict[str, str]:
    """Settings for small monthly batches: few shuffle partitions, dynamic partition overwrite."""
    return {
        "spark.master": master,
        "spark.app.name": "loan-default-datamart",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": os.environ.get("SPARK_DRIVER_MEMORY", "2g"),
        # Measured with benchmarks/run.py (see Readme.txt): a run is a few dozen small
        # queries, so per-query overhead dominates. 200 shuffle partitions would be 200 tiny
        # tasks; adaptive execution re-plans every query at each shuffle (a job per stage);
        # compressing cached columns costs more than it saves at this size.
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
        # Whole-stage code generation for wide rows too (the feature store has 144 columns,
        # silver financials about as many with its rule flags); above the default of 100
        # fields Spark turns it off for the plan.
        "spark.sql.codegen.maxFields": "1000",
        # Warm runs in one session (a notebook, the test suite) reuse compiled query code:
        # Spark caches generated classes by their source text, 100 by default, and a class's
        # source names its stage id unless told not to, so no two runs would share one.
        "spark.sql.codegen.cache.maxEntries": "10000",
        "spark.sql.codegen.useIdInClassName": "false",
        # A job rewrites exactly the month partitions it produced, never the whole table.
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.parquet.compression.codec": "snappy",
        "spark.sql.execution.arrow.pyspark.enabled": "true",  # toPandas in columns, not row by row
        # PySpark 4 records the Python call site of every column expression for error messages:
        # a walk of the Python stack and about six calls into the JVM per expression, some
        # 40,000 calls in a run that makes thousands of expressions. A Spark error still names
        # the failing query; only the Python line that built the expression is left out.
        "spark.python.sql.dataFrameDebugging.enabled": "false",
        "spark.sql.debug.maxToStringFields": "500",  # wide tables; avoids a warning on plan strings
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": os.environ.get("SPARK_UI_ENABLED", "false"),
        "spark.driver.extraJavaOptions": " ".join([JAVA_OPTIONS, *driver_java_options]),
        "spark.executor.extraJavaOptions": JAVA_OPTIONS,
    }


def start_spark(master: str = "local[*]", short_lived: bool = False) -> SparkSession:
    """The session (or the one already running). `short_lived`: this process runs one job and
    exits, so its driver compiles for a quick start rather than for speed later."""
    java, version_text = require_java()
    # Executors that need Python (on a cluster, too) use this interpreter and its packages.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no network needed, no warning about it
    archive_options, archive_config = class_archive.driver_settings(java, version_text)
    driver_options = [*archive_options, *(SHORT_LIVED_DRIVER_OPTIONS if short_lived else ())]
    config = spark_config(master, driver_options) | forkless_fs.spark_settings(master) | archive_config
    builder = SparkSession.builder
    for key, value in config.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except PySparkRuntimeError:
        archive = class_archive.archive_in_options(archive_options)
        if archive is None or class_archive.starts_with(java, archive):
            raise
        archive.unlink(missing_ok=True)  # damaged after it was made: start without it (a new one is saved later)
        return start_spark(master, short_lived)
    spark.sparkContext.setLogLevel("WARN")
    jupyter_kernel.end_jvm_when_the_kernel_exits()
    return spark


def driver_jit(spark: SparkSession) -> str:
    """Which JIT compilers the session's driver JVM runs, for the run record."""
    options = spark.sparkContext.getConf().get("spark.driver.extraJavaOptions", "").split()
    return "C1" if set(SHORT_LIVED_DRIVER_OPTIONS) <= set(options) else "C1 and C2"


def save_class_archive(spark: SparkSession) -> str | None:
    """After a first successful run: save the JVM's classes so later starts are faster."""
    archive = class_archive.save_archive(spark, java_executable())
    return str(archive) if archive else None
