"""Hadoop's local file system without a `chmod` process for each directory and file it makes.

pip's pyspark has no Hadoop native library, so Hadoop sets the permission of every directory
and file it creates by starting `chmod` in a new process: about 200 processes of some 10 ms
each in a run on the small test data. jvm/ForklessLocalFileSystem.java sets the same bits
through java.nio and is otherwise Hadoop's LocalFileSystem; jvm/forkless-local-fs.jar is
built from it (the command is in the .java file).
"""

from pathlib import Path

# Resolved, so a project folder that links to utils/ (the notebook tests make one) puts the
# same jar path on the class path as the repository and shares its class archive.
JAR = Path(__file__).resolve().with_name("jvm") / "forkless-local-fs.jar"
FILE_SYSTEM_CLASS = "datamart.hadoop.ForklessLocalFileSystem"


def spark_settings(master: str) -> dict[str, str]:
    """The jar on the driver's class path, and file: paths through it when the driver runs the
    tasks too (local[...]); a cluster's executors have no copy of the jar, so they keep Hadoop's."""
    settings = {"spark.driver.extraClassPath": str(JAR)}
    if master.startswith("local"):
        settings["spark.hadoop.fs.file.impl"] = FILE_SYSTEM_CLASS
    return settings
