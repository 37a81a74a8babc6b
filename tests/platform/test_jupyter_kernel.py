import os
from pathlib import Path

from jupyter_client import KernelManager

from tests.conftest import ROOT

START_SPARK = """
from utils.platform.spark_session import start_spark
spark = start_spark("local[1]")
spark.range(3).count()
"""


def test_a_kernel_that_started_spark_exits_when_asked_and_spark_deletes_its_temp_folders(tmp_path):
    spark_temp = tmp_path / "spark_local_dirs"
    spark_temp.mkdir()
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(ROOT), env={**os.environ, "SPARK_LOCAL_DIRS": str(spark_temp)})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(START_SPARK, timeout=300)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert folders(spark_temp), "Spark made no temp folders: the test would prove nothing"
        kernel = manager.provisioner.process
    finally:
        client.stop_channels()
        manager.shutdown_kernel()  # as Jupyter does when a notebook is closed or its kernel restarted
    # Ended by Jupyter's SIGTERM after 2.5 s it returns -15; and then the JVM's temp folders stay.
    assert kernel.returncode == 0, f"the kernel did not exit on its own: return code {kernel.returncode}"
    assert not folders(spark_temp), f"Spark's temp folders were left behind: {folders(spark_temp)}"


def folders(parent: Path) -> list[str]:
    return sorted(path.name for path in parent.iterdir())
