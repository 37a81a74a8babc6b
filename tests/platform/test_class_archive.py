"""The Spark class archive: made once, checked before use, used by later JVMs, and optional."""

import os
import subprocess
import sys
from pathlib import Path

from utils.platform import class_archive, forkless_fs
from utils.platform.spark_session import java_executable, java_version_text

ROOT = Path(__file__).resolve().parents[2]
JAVA = java_executable()


def test_no_archive_yet_means_the_jvm_records_for_one(tmp_path, monkeypatch):
    monkeypatch.setenv(class_archive.CACHE_ENV, str(tmp_path))
    options, config = class_archive.driver_settings(JAVA, "openjdk 17")
    assert "-XX:+RecordDynamicDumpInfo" in options
    assert Path(config[class_archive.ARCHIVE_CONF]).parent == tmp_path


def test_an_existing_archive_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv(class_archive.CACHE_ENV, str(tmp_path))
    archive = class_archive.archive_path(tmp_path, JAVA, "openjdk 17")
    archive.write_bytes(b"made earlier")
    options, config = class_archive.driver_settings(JAVA, "openjdk 17")
    assert f"-XX:SharedArchiveFile={archive}" in options
    assert config == {}


def test_another_java_gets_its_own_archive(tmp_path):
    assert class_archive.archive_path(tmp_path, JAVA, "openjdk 17.0.15") != class_archive.archive_path(
        tmp_path, JAVA, "openjdk 21.0.2"
    )


def test_off_turns_it_off(monkeypatch):
    monkeypatch.setenv(class_archive.CACHE_ENV, "off")
    assert class_archive.driver_settings(JAVA, "openjdk 17") == ([], {})


def test_a_truncated_archive_is_rejected_without_leaving_crash_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    archive = tmp_path / "whole.jsa"
    subprocess.run(
        [JAVA, f"-XX:ArchiveClassesAtExit={archive}", class_archive.QUIET, "-version"], check=True, capture_output=True
    )
    truncated = tmp_path / "truncated.jsa"
    truncated.write_bytes(archive.read_bytes()[:100_000])
    assert class_archive.starts_with(JAVA, archive)
    assert not class_archive.starts_with(JAVA, truncated)
    assert not list(tmp_path.glob("hs_err*")) and not list(tmp_path.glob("core*"))


SPARK_START = """
import sys
sys.path.insert(0, {root!r})
from utils.platform.class_archive import archive_in_use
from utils.platform.spark_session import save_class_archive, start_spark
spark = start_spark("local[1]")
spark.range(100).selectExpr("sum(id)").collect()
jvm_info = spark.sparkContext._jvm.java.lang.System.getProperty("java.vm.info")
print("IN USE", archive_in_use(spark), "|", jvm_info)
print("SAVED", save_class_archive(spark))
"""


def start_spark_in_a_new_process(cache: Path) -> str:
    env = dict(os.environ, **{class_archive.CACHE_ENV: str(cache)})
    completed = subprocess.run(
        [sys.executable, "-c", SPARK_START.format(root=str(ROOT))],
        env=env,
        cwd=cache,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def test_a_damaged_archive_is_replaced_by_a_sound_one_made_once_and_used_by_the_next_spark(tmp_path):
    """The first Spark start finds the archive damaged on disk: it drops it, starts without
    one (as on a machine without any) and saves a sound one; the next start uses that."""
    archive = class_archive.archive_path(tmp_path, JAVA, java_version_text(JAVA))
    made = tmp_path / "made.jsa"
    subprocess.run(
        [JAVA, f"-XX:ArchiveClassesAtExit={made}", class_archive.QUIET, "-version"], check=True, capture_output=True
    )
    archive.write_bytes(made.read_bytes()[:100_000])  # as if the disk lost the end of it

    first = start_spark_in_a_new_process(tmp_path)
    assert "IN USE None" in first
    assert f"SAVED {archive}" in first
    assert class_archive.starts_with(JAVA, archive) and not list(tmp_path.glob("*.unfinished-*"))

    second = start_spark_in_a_new_process(tmp_path)
    assert f"IN USE {archive} | " in second and "sharing" in second
    assert "SAVED None" in second  # made once


def test_another_jar_on_the_class_path_gets_its_own_archive(tmp_path, monkeypatch):
    before = class_archive.archive_path(tmp_path, JAVA, "openjdk 17")
    other_jar = tmp_path / "other.jar"
    other_jar.write_bytes(forkless_fs.JAR.read_bytes() + b"changed")
    monkeypatch.setattr(forkless_fs, "JAR", other_jar)
    changed = class_archive.archive_path(tmp_path, JAVA, "openjdk 17")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "other.jar").write_bytes(other_jar.read_bytes())
    monkeypatch.setattr(forkless_fs, "JAR", tmp_path / "copy" / "other.jar")  # the same jar elsewhere (a clone)
    assert len({before, changed, class_archive.archive_path(tmp_path, JAVA, "openjdk 17")}) == 3


def test_a_project_that_links_to_utils_shares_the_repositorys_archive_and_class_path(tmp_path):
    """The notebook tests run the notebooks in a folder whose utils/ links to the repository's:
    their kernels must map the archive the other tests' JVMs use, not save one of their own."""
    (tmp_path / "utils").symlink_to(ROOT / "utils", target_is_directory=True)
    script = (
        "from pathlib import Path; from utils.platform import class_archive, forkless_fs; "
        f"print(class_archive.archive_path(Path({str(tmp_path)!r}), {JAVA!r}, 'openjdk 17')); "
        "print(forkless_fs.spark_settings('local[2]')['spark.driver.extraClassPath'])"
    )
    linked = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert linked == [
        str(class_archive.archive_path(tmp_path, JAVA, "openjdk 17")),
        forkless_fs.spark_settings("local[2]")["spark.driver.extraClassPath"],
    ]
