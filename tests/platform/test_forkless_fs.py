"""Hadoop's local file system with java.nio permissions: the same bits chmod would set, no process."""

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from utils.platform import forkless_fs

SOURCE = forkless_fs.JAR.with_name("ForklessLocalFileSystem.java")


def local_file_systems(spark):
    """This session's file: file system, and a stock Hadoop RawLocalFileSystem beside it."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    ours = jvm.org.apache.hadoop.fs.FileSystem.get(jvm.java.net.URI("file:///"), conf)
    stock = jvm.org.apache.hadoop.fs.RawLocalFileSystem()
    stock.initialize(jvm.java.net.URI("file:///"), conf)
    return jvm, ours, stock


def test_a_local_session_writes_through_it(spark):
    _, ours, _ = local_file_systems(spark)
    assert ours.getClass().getName() == forkless_fs.FILE_SYSTEM_CLASS
    assert ours.getRawFileSystem().getClass().getName() == f"{forkless_fs.FILE_SYSTEM_CLASS}$Raw"


def test_a_cluster_keeps_hadoops_own_because_its_executors_have_no_copy_of_the_jar():
    assert "spark.hadoop.fs.file.impl" not in forkless_fs.spark_settings("spark://host:7077")
    assert forkless_fs.spark_settings("local[2]")["spark.hadoop.fs.file.impl"] == forkless_fs.FILE_SYSTEM_CLASS


@pytest.mark.parametrize("mode", [0o755, 0o644, 0o640, 0o700, 0o000, 0o777, 0o1777])
def test_it_sets_the_permission_bits_chmod_sets(spark, tmp_path, mode):
    jvm, ours, stock = local_file_systems(spark)
    permission = jvm.org.apache.hadoop.fs.permission.FsPermission(mode)
    for name, file_system in (("ours", ours.getRawFileSystem()), ("stock", stock)):
        (tmp_path / name).write_text("x")
        file_system.setPermission(jvm.org.apache.hadoop.fs.Path(str(tmp_path / name)), permission)
    assert oct(os.stat(tmp_path / "ours").st_mode & 0o7777) == oct(os.stat(tmp_path / "stock").st_mode & 0o7777)
    assert os.stat(tmp_path / "ours").st_mode & 0o7777 == mode


def test_directories_and_files_it_makes_get_the_modes_hadoop_gives_them(spark, tmp_path):
    jvm, ours, stock = local_file_systems(spark)
    made = {}
    for name, file_system in (("ours", ours), ("stock", stock)):
        directory = jvm.org.apache.hadoop.fs.Path(str(tmp_path / name / "a" / "b"))
        assert file_system.mkdirs(directory)
        file_system.create(jvm.org.apache.hadoop.fs.Path(str(tmp_path / name / "a" / "b" / "part-0")), False).close()
        made[name] = {
            str(path.relative_to(tmp_path / name)): os.stat(path).st_mode & 0o7777
            for path in (tmp_path / name).rglob("*")
            if not path.name.endswith(".crc")
        }
    assert made["ours"] == made["stock"] and len(made["ours"]) == 3


def javap(class_dir: Path, class_name: str) -> str:
    return subprocess.run(
        ["javap", "-p", "-c", "-cp", str(class_dir), class_name], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("javac") is None, reason="needs javac (a JDK) to build the jar from its source")
def test_the_jar_is_built_from_the_source_beside_it(tmp_path):
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars" / "*"
    built = tmp_path / "built"
    subprocess.run(
        ["javac", "--release", "17", "-cp", str(jars), "-d", str(built), str(SOURCE)], check=True, capture_output=True
    )
    shipped = tmp_path / "shipped"
    with zipfile.ZipFile(forkless_fs.JAR) as jar:
        jar.extractall(shipped)
    classes = sorted(str(path.relative_to(built)) for path in built.rglob("*.class"))
    assert classes == sorted(str(path.relative_to(shipped)) for path in shipped.rglob("*.class"))
    for path in classes:
        name = path.removesuffix(".class").replace("/", ".")
        assert javap(shipped, name) == javap(built, name), (
            f"{forkless_fs.JAR.name} is not built from {SOURCE.name}: rebuild it with the command in that file"
        )
