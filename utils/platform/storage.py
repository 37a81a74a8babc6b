"""File operations on the data and datamart folders, local or on any Hadoop file system.

Spark reads and writes tables itself; this module covers the rest (does a file exist,
read a header line, drop a month partition, write the run record). Plain paths use the
local file system directly, so user errors come back fast; URIs such as `s3a://bucket/dm`
or `hdfs://...` go through the Hadoop FileSystem of the running Spark session.
"""

import hashlib
import os
import shutil
from pathlib import Path

from pyspark.sql import SparkSession


def is_uri(path: str) -> bool:
    return "://" in path


def absolute(path: str) -> str:
    """Local paths made absolute: Spark's JVM does not follow the Python process's cwd."""
    return path if is_uri(path) else os.path.abspath(path)


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *parts])


def _hadoop(path: str):
    spark = SparkSession.getActiveSession()
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def exists(path: str) -> bool:
    if is_uri(path):
        fs, hadoop_path = _hadoop(path)
        return fs.exists(hadoop_path)
    return Path(path).exists()


def is_dir(path: str) -> bool:
    if is_uri(path):
        fs, hadoop_path = _hadoop(path)
        return fs.exists(hadoop_path) and fs.getFileStatus(hadoop_path).isDirectory()
    return Path(path).is_dir()


def list_names(path: str) -> list[str]:
    """Names of the entries of a folder; empty when it does not exist."""
    if not exists(path):
        return []
    if is_uri(path):
        fs, hadoop_path = _hadoop(path)
        return sorted(status.getPath().getName() for status in fs.listStatus(hadoop_path))
    return sorted(entry.name for entry in Path(path).iterdir())


def delete(path: str) -> None:
    if is_uri(path):
        fs, hadoop_path = _hadoop(path)
        fs.delete(hadoop_path, True)
    elif Path(path).is_dir():
        shutil.rmtree(path)
    elif Path(path).exists():
        Path(path).unlink()


def read_head(path: str, size: int = 65536) -> bytes:
    """The first bytes of a file (enough for a header line)."""
    if is_uri(path):
        fs, hadoop_path = _hadoop(path)
        stream = fs.open(hadoop_path)
        try:
            spark = SparkSession.getActiveSession()
            buffer = spark.sparkContext._gateway.new_array(spark.sparkContext._jvm.byte, size)
            read = stream.read(buffer)
            return bytes(buffer[: max(read, 0)])
        finally:
            stream.close()
    with open(path, "rb") as handle:
        return handle.read(size)


def _hadoop_write(path: str, text: str) -> None:
    fs, hadoop_path = _hadoop(path)
    stream = fs.create(hadoop_path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def rename(source: str, target: str) -> None:
    """Move a file or folder; atomic on a local or HDFS file system (not on object stores)."""
    if is_uri(source):
        fs, source_path = _hadoop(source)
        _, target_path = _hadoop(target)
        fs.mkdirs(target_path.getParent())
        if not fs.rename(source_path, target_path):
            raise OSError(f"could not move {source} to {target}")
        return
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    os.rename(source, target)


def write_text(path: str, text: str) -> None:
    """Write a whole file at once: readers see the old content or the new, never half of it."""
    temporary = f"{path}.tmp-{os.getpid()}"
    if is_uri(path):
        _hadoop_write(temporary, text)
        delete(path)
        rename(temporary, path)
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(temporary).write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def create_exclusively(path: str, text: str) -> bool:
    """Create a file only if it does not exist yet (the basis of the datamart lock)."""
    if is_uri(path):
        fs, hadoop_path = _hadoop(path)
        if not fs.createNewFile(hadoop_path):
            return False
        _hadoop_write(path, text)
        return True
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return True


def read_text(path: str) -> str:
    if is_uri(path):
        fs, hadoop_path = _hadoop(path)
        stream = fs.open(hadoop_path)
        try:
            return bytes(stream.readAllBytes()).decode("utf-8")
        finally:
            stream.close()
    return Path(path).read_text(encoding="utf-8")


def fingerprint(path: str) -> dict:
    """Size and content hash, so a run record says exactly which input it read."""
    if is_uri(path):
        fs, hadoop_path = _hadoop(path)
        status = fs.getFileStatus(hadoop_path)
        return {"path": path, "bytes": status.getLen(), "modified_ms": status.getModificationTime()}
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(Path(path).resolve()), "bytes": Path(path).stat().st_size, "sha256": digest.hexdigest()}
