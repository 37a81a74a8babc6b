"""A class-data-sharing archive of the Spark driver's classes: later JVMs start about 3 s faster.

A Spark JVM loads and verifies some 20,000 classes from jars on every start. Java 17 can
save the classes a running JVM has loaded into an archive (`VM.cds dynamic_dump`) and map
them into later JVMs (`-XX:SharedArchiveFile`). The first successful run on a machine saves
the archive at its end (a few seconds, once); every later Spark start uses it.

The archive lives in a cache folder (~/.cache/loan-default-datamart, or
$DATAMART_CLASS_ARCHIVE_DIR; `off` turns this off), named after the Java, the Spark and the
project's jar that made it, so changing any of them makes a new one. A damaged archive
crashes the JVM at start, so an archive is written under another name and only put in place
after a test JVM started with it; one damaged later on disk is deleted when a Spark start
fails with it.
"""

import hashlib
import os
import secrets
import subprocess
from pathlib import Path

import pyspark
from py4j.protocol import Py4JError
from pyspark.sql import SparkSession

from utils.platform import forkless_fs

CACHE_ENV = "DATAMART_CLASS_ARCHIVE_DIR"
DEFAULT_CACHE = Path.home() / ".cache" / "loan-default-datamart"
ARCHIVE_CONF = "spark.datamart.classArchiveToSave"  # set on a JVM that should save one
QUIET = "-Xlog:cds*=off"  # the JVM would list every class it cannot archive (Spark's generated code)


def cache_folder() -> Path | None:
    setting = os.environ.get(CACHE_ENV, "")
    if setting.lower() == "off":
        return None
    return Path(setting) if setting else DEFAULT_CACHE


def archive_path(folder: Path, java: str, java_version: str) -> Path:
    """One archive per Java installation, Spark installation and driver class path (the JVM
    does not map an archive made with other jars on its class path)."""
    jar = f"{forkless_fs.JAR} {hashlib.sha256(forkless_fs.JAR.read_bytes()).hexdigest()}"
    key = "\n".join([os.path.realpath(java), java_version, pyspark.__version__, os.path.dirname(pyspark.__file__), jar])
    return folder / f"spark-classes-{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"


def driver_settings(java: str, java_version: str) -> tuple[list[str], dict[str, str]]:
    """JVM options and Spark settings for the driver: use the archive, or get ready to save one."""
    folder = cache_folder()
    if folder is None:
        return [], {}
    archive = archive_path(folder, java, java_version)
    if archive.exists():
        return [f"-XX:SharedArchiveFile={archive}", QUIET], {}
    return ["-XX:+RecordDynamicDumpInfo", QUIET], {ARCHIVE_CONF: str(archive)}


def archive_in_options(options: list[str]) -> Path | None:
    return next(
        (Path(option.split("=", 1)[1]) for option in options if option.startswith("-XX:SharedArchiveFile=")), None
    )


def archive_in_use(spark: SparkSession) -> str | None:
    """The archive the driver JVM started with, if any."""
    archive = archive_in_options(spark.sparkContext.getConf().get("spark.driver.extraJavaOptions", "").split())
    return str(archive) if archive else None


def starts_with(java: str, archive: Path) -> bool:
    """Whether a JVM starts with the archive (a truncated one makes it crash)."""
    try:
        completed = subprocess.run(
            [
                java,
                f"-XX:SharedArchiveFile={archive}",
                QUIET,
                "-XX:ErrorFile=/dev/null",
                "-XX:-CreateCoredumpOnCrash",
                "-version",
            ],
            capture_output=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        return False
    return completed.returncode == 0


def dump_loaded_classes(spark: SparkSession, path: Path) -> None:
    """`jcmd <pid> VM.cds dynamic_dump <path>`, from inside the JVM (a JRE has no jcmd)."""
    jvm, gateway = spark.sparkContext._jvm, spark.sparkContext._gateway

    def array(element_class, items):
        result = gateway.new_array(element_class, len(items))
        for index, item in enumerate(items):
            result[index] = item
        return result

    find_class = jvm.java.lang.Class.forName
    # Through reflection on the public interface: the platform MBean server's own class is
    # not exported from its module, so Py4J cannot call its methods directly.
    invoke = find_class("javax.management.MBeanServer").getMethod(
        "invoke",
        array(
            jvm.java.lang.Class,
            [
                find_class("javax.management.ObjectName"),
                find_class("java.lang.String"),
                find_class("[Ljava.lang.Object;"),
                find_class("[Ljava.lang.String;"),
            ],
        ),
    )
    command = array(jvm.java.lang.Object, [array(jvm.java.lang.String, ["dynamic_dump", str(path)])])
    invoke.invoke(
        jvm.java.lang.management.ManagementFactory.getPlatformMBeanServer(),
        array(
            jvm.java.lang.Object,
            [
                jvm.javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                "vmCds",
                command,
                array(jvm.java.lang.String, ["[Ljava.lang.String;"]),
            ],
        ),
    )


def save_archive(spark: SparkSession, java: str) -> Path | None:
    """Save the classes this JVM loaded, if it was started to do so; returns the archive made."""
    target = spark.sparkContext.getConf().get(ARCHIVE_CONF, None)
    if not target or Path(target).exists():
        return None
    archive = Path(target)
    unfinished = archive.with_name(f"{archive.name}.unfinished-{secrets.token_hex(4)}")
    try:
        archive.parent.mkdir(parents=True, exist_ok=True)
        dump_loaded_classes(spark, unfinished)
        if not starts_with(java, unfinished):
            return None
        os.replace(unfinished, archive)
    except (OSError, Py4JError):  # a speed-up only: a full disk or a JVM that cannot dump must not fail a run
        return None
    finally:
        unfinished.unlink(missing_ok=True)
    return archive
