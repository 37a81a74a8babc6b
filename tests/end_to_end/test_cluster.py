"""The same jobs on a real Spark standalone cluster (a master and a worker on 127.0.0.1)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest

from tests.conftest import ROOT
from tests.end_to_end.test_reliability import TABLES, same, snapshot

SPARK_CLASS = Path(pyspark.__file__).parent / "bin" / "spark-class"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the cluster process died"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port}")


def start(*arguments: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1"}
    with open(log, "w") as handle:
        return subprocess.Popen(
            [str(SPARK_CLASS), *arguments], env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    logs = tmp_path_factory.mktemp("cluster_logs")
    port, worker_port = free_port(), free_port()
    master = start(
        "org.apache.spark.deploy.master.Master",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--webui-port",
        "0",
        log=logs / "master.log",
    )
    processes = [master]
    try:
        wait_for_port(port, master)
        url = f"spark://127.0.0.1:{port}"
        worker = start(
            "org.apache.spark.deploy.worker.Worker",
            url,
            "--host",
            "127.0.0.1",
            "--port",
            str(worker_port),
            "--webui-port",
            "0",
            "--cores",
            "2",
            "--memory",
            "2g",
            log=logs / "worker.log",
        )
        processes.append(worker)
        wait_for_port(worker_port, worker)
        yield url, logs
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def test_the_datamart_built_on_a_cluster_equals_the_local_one(cluster, small_datamart, small_data, tmp_path):
    url, logs = cluster
    datamart = tmp_path / "on_cluster"
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--master",
            url,
            "--data-dir",
            str(small_data),
            "--datamart-dir",
            str(datamart),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    # The console shows Spark's warnings and errors only when a user should act on them
    # (utils/platform/log4j2.properties); this run has none.
    assert [line for line in completed.stderr.splitlines() if re.search(r" (WARN|ERROR) ", line)] == []
    record = json.loads(sorted((datamart / "_runs").glob("*.json"))[-1].read_text())
    assert record["spark"]["master"] == url
    assert record["spark"]["driver_jit"] == "C1"  # a python main.py process runs one job and exits
    assert "Asked to launch executor" in (logs / "worker.log").read_text()  # the work really ran on the worker
    local, on_cluster = snapshot(small_datamart), snapshot(datamart)
    for name in TABLES:
        assert on_cluster[name].keys() == local[name].keys(), name
        for month in local[name]:
            assert same(on_cluster[name][month], local[name][month]), f"{name} {month}"
