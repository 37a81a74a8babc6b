"""The project's container, built and run for real, as a user with docker-compose would.

Podman stands in for the Docker engine (none runs on these machines). What the machine
needs for that (engine settings, a locally made stand-in for the python:3.11-slim base, the
proxy CA) is .ci/container_harness.sh's business; the Dockerfile and docker-compose.yaml
are used exactly as they are in the project.

The tests work on a copy of the project (what `git ls-files` shows, as in a fresh clone) in
a temporary folder, under their own compose project name, image tag and a free port, so
they touch neither the working tree nor a user's own `loan-default-datamart` image.

Skipped where podman (with runc and debootstrap) or podman-compose is missing, or when
SKIP_CONTAINER_TEST=1.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / ".ci" / "container_harness.sh"
IMAGE = "localhost/datamart-ci/loan-default-datamart:test"
SERVICE = "datamart"
# Not the default 1000: proves the build argument reaches the image.
HOST_UID = HOST_GID = 1234
# Where docker-compose.yaml mounts the named volume for the Spark driver's class archive.
CLASS_ARCHIVE_VOLUME = "/home/datamart/.cache/loan-default-datamart"
LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9A-Za-z_\-]+)")


def _skip_reason() -> str | None:
    if os.environ.get("SKIP_CONTAINER_TEST") == "1":
        return "SKIP_CONTAINER_TEST=1"
    if shutil.which("podman") is None:
        return (
            "podman is not installed: the container test builds and runs the project's Dockerfile and "
            "docker-compose.yaml with podman (apt-get install -y podman runc debootstrap; .ci/run does this)"
        )
    checked = subprocess.run(["bash", str(HARNESS), "check"], capture_output=True, text=True, timeout=60)
    if checked.returncode != 0:
        return f"the container harness cannot run here: {checked.stdout.strip() or checked.stderr.strip()}"
    try:
        import podman_compose  # noqa: F401
    except ImportError:
        return "podman-compose is not installed in this environment (pip install -r .ci/requirements-container.txt)"
    return None


SKIP_REASON = _skip_reason()
pytestmark = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Compose:
    """podman-compose on the project copy, with the engine settings the harness prepared."""

    def __init__(self, project_dir: Path, engine_env: dict):
        self.project_dir = project_dir
        self.name = f"datamart-ci-{os.getpid()}"
        self.env = {**engine_env, "HOST_UID": str(HOST_UID), "HOST_GID": str(HOST_GID), "DATAMART_IMAGE": IMAGE}

    def __call__(
        self, *args: str, timeout: float, env: dict | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        completed = subprocess.run(
            [sys.executable, "-m", "podman_compose", "-p", self.name, *args],
            cwd=self.project_dir,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and completed.returncode != 0:
            pytest.fail(
                f"podman-compose {' '.join(args)} failed ({completed.returncode}):\n"
                f"{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
            )
        return completed

    def podman(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=check
        )


@pytest.fixture(scope="module")
def engine_env() -> dict:
    """The harness's engine settings and stand-in base image (cached between runs)."""
    prepared = subprocess.run(["bash", str(HARNESS), "prepare"], capture_output=True, text=True, timeout=900)
    if prepared.returncode != 0:
        pytest.fail(f"{HARNESS.relative_to(ROOT)} prepare failed:\n{prepared.stdout}\n{prepared.stderr}")
    env = {key: value for key, value in os.environ.items() if key not in ("JUPYTER_TOKEN", "JUPYTER_PORT")}
    # BUILDAH_FORMAT=docker: podman's default OCI image format drops HEALTHCHECK.
    return {**env, "CONTAINERS_CONF": prepared.stdout.strip().splitlines()[-1], "BUILDAH_FORMAT": "docker"}


def project_files() -> list[str]:
    """Tracked and new files, without what .gitignore keeps out (a checkout without git: a plain walk)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        return [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skipped = {".git", ".venv", "datamart", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "reports"}
        return [
            str(path.relative_to(ROOT))
            for path in ROOT.rglob("*")
            if path.is_file()
            and not skipped & set(path.relative_to(ROOT).parts)
            and not (path.parent == ROOT / "data" and path.name != "README.md")
        ]


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """The project's files as a fresh clone of this working tree would have them."""
    copy = tmp_path_factory.mktemp("project")
    copy.chmod(0o755)  # a clone is readable by its owner: here, the container's user
    for name in project_files():
        source = ROOT / name
        if name == ".env" or not source.is_file():  # a developer's own settings stay out
            continue
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy / name)
    return copy


@pytest.fixture(scope="module")
def compose(project_copy, engine_env):
    runner = Compose(project_copy, engine_env)
    yield runner
    runner("down", "--volumes", timeout=120, check=False)  # with this project's class-archive volume


@pytest.fixture(scope="module")
def built(compose) -> Compose:
    """`docker-compose build`: the image from the project's Dockerfile."""
    previous = compose.podman("image", "inspect", "--format", "{{.Id}}", IMAGE, check=False).stdout.strip()
    compose("build", timeout=1200)
    current = compose.podman("image", "inspect", "--format", "{{.Id}}", IMAGE).stdout.strip()
    if previous and previous != current:  # the last run's image, replaced: do not let them pile up
        compose.podman("rmi", previous, check=False)
    return compose


def test_code_change_rebuilds_without_reinstalling_dependencies(built, project_copy):
    main_py = project_copy / "main.py"
    original = main_py.read_text()
    main_py.write_text(original + "\n# a code change\n")
    try:
        rebuilt = built("build", timeout=1200)
        changed_image = built.podman("image", "inspect", "--format", "{{.Id}}", IMAGE).stdout.strip()
    finally:
        main_py.write_text(original)
    steps = re.split(r"^STEP \d+/\d+: ", rebuilt.stdout, flags=re.MULTILINE)
    pip_step = next(step for step in steps if step.startswith("RUN pip install"))
    code_step = next(step for step in steps if step.startswith("COPY") and " . /project" in step.splitlines()[0])
    assert "Using cache" in pip_step, f"a code change reinstalled the dependencies:\n{pip_step[:2000]}"
    assert "Using cache" not in code_step, "the code layer was not rebuilt after a code change"
    built("build", timeout=600)  # back to the image of the unchanged code (from the layer cache)
    built.podman("rmi", changed_image, check=False)


def test_batch_job_in_the_container_writes_the_datamart_to_the_host(built, project_copy):
    for folder in ("data", "datamart"):  # the container's user owns what it writes to
        (project_copy / folder).mkdir(exist_ok=True)
        os.chown(project_copy / folder, HOST_UID, HOST_GID)

    job = built(
        "run",
        "--rm",
        SERVICE,
        "sh",
        "-c",
        "id -u && python main.py generate-data --customers 300 --months 8 && python main.py",
        timeout=900,
        check=False,
    )
    assert job.returncode == 0, f"python main.py failed in the container:\n{job.stdout[-4000:]}\n{job.stderr[-4000:]}"
    assert re.search(rf"^{HOST_UID}$", job.stdout, re.MULTILINE), "the job did not run as the build's HOST_UID"
    assert f"Saved the Spark JVM's classes to {CLASS_ARCHIVE_VOLUME}/" in job.stdout, (
        f"the first run did not save its class archive to the named volume:\n{job.stdout[-2000:]}"
    )

    datamart = project_copy / "datamart"
    runs = sorted((datamart / "_runs").glob("*.json"))
    assert len(runs) == 1, f"expected one run record on the host, found {runs}"
    record = json.loads(runs[0].read_text())
    assert record["status"] == "succeeded"
    assert record["parameters"]["datamart_dir"] == "/project/datamart"
    assert len(record["months"]) == 8
    for table in ("bronze/lms_loan_daily", "silver/loan_daily", "gold/label_store", "gold/feature_store"):
        partitions = sorted(path.name for path in (datamart / table).glob("snapshot_date=*"))
        assert partitions, f"{table} has no month partitions on the host mount"
        assert list((datamart / table).glob("snapshot_date=*/*.parquet")), f"{table} has no parquet files"
    written = list(datamart.rglob("*"))
    strangers = [path for path in written if path.stat().st_uid != HOST_UID]
    assert not strangers, f"files on the mount not owned by HOST_UID {HOST_UID}: {strangers[:5]}"


def test_a_notebook_runs_in_the_container_on_that_datamart(built, project_copy):
    """What a user does next in JupyterLab: open the tour notebook and run it top to bottom."""
    if not list((project_copy / "datamart" / "_runs").glob("*.json")):
        pytest.skip("needs the datamart of the batch-job test")
    executed = built(
        "run",
        "--rm",
        SERVICE,
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--output-dir",
        "/tmp",
        "notebooks/02_datamart_tour.ipynb",
        timeout=900,
        check=False,
    )
    assert executed.returncode == 0, (
        f"the notebook failed in the container:\n{executed.stdout[-3000:]}\n{executed.stderr[-5000:]}"
    )
    # The notebook rebuilds a month in its session: that run's Spark started with the class
    # archive the batch job's container left in the named volume.
    records = [json.loads(path.read_text()) for path in (project_copy / "datamart" / "_runs").glob("*.json")]
    latest = max(records, key=lambda record: record["started_at"])
    assert len(records) == 2 and (latest["spark"]["class_archive"] or "").startswith(f"{CLASS_ARCHIVE_VOLUME}/"), (
        f"the notebook's Spark did not start with the class archive kept in the volume: {latest['spark']}"
    )


def http_status(url: str, host: str | None = None) -> tuple[int, str, str]:
    """Status, Location header and body of a GET, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), ""


def wait_for_link(compose: Compose, seconds: float = 180) -> re.Match:
    deadline = time.monotonic() + seconds
    logs = ""
    while time.monotonic() < deadline:
        logs = compose("logs", SERVICE, timeout=60, check=False).stdout
        found = LINK.search(logs)
        if found:
            return found
        time.sleep(1)
    pytest.fail(f"no JupyterLab link in the logs after {seconds:.0f} s:\n{logs[-4000:]}")


def container_of(compose: Compose) -> str:
    names = compose.podman(
        "ps", "--filter", f"label=io.podman.compose.project={compose.name}", "--format", "{{.Names}}"
    ).stdout.split()
    assert len(names) == 1, f"expected one running container, found {names}"
    return names[0]


def check_lab(compose: Compose, port: int, expected_token: str | None = None) -> None:
    link = wait_for_link(compose)
    assert int(link.group(1)) == port, f"the printed link names port {link.group(1)}, not the published {port}"
    token = link.group(2)
    if expected_token is not None:
        assert token == expected_token
    else:
        assert len(token) >= 32, "a generated token must not be guessable"

    status, _, page = http_status(link.group(0))
    assert status == 200 and "JupyterLab" in page, f"the printed link gave {status}"
    status, location, _ = http_status(f"http://127.0.0.1:{port}/lab")
    assert status in (302, 403) and (status == 403 or "/login" in location), (
        f"JupyterLab without the token answered {status} {location}; it must ask for the token"
    )
    status, _, _ = http_status(f"http://127.0.0.1:{port}/api/status")
    assert status == 403, f"the API without the token answered {status}"
    status, _, _ = http_status(link.group(0), host=f"attacker.example:{port}")
    assert status == 403, "a request for another host name (DNS rebinding) was served"

    container = container_of(compose)
    bindings = json.loads(compose.podman("inspect", "--format", "{{json .HostConfig.PortBindings}}", container).stdout)
    assert bindings == {"8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}, (
        f"JupyterLab must be published on the host's 127.0.0.1 only, got {bindings}"
    )
    assert compose.podman("healthcheck", "run", container, check=False).returncode == 0, "the HEALTHCHECK fails"


def test_compose_up_serves_jupyterlab_on_loopback_with_a_generated_token(built):
    port = free_port()
    try:
        built("up", "-d", timeout=300, env={"JUPYTER_PORT": str(port), "JUPYTER_TOKEN": ""})
        check_lab(built, port)
    finally:
        built("down", timeout=120, check=False)


def test_compose_up_takes_the_token_from_dot_env(built, project_copy):
    port = free_port()
    token = "token-from-dot-env-0123456789abcdef"
    dot_env = project_copy / ".env"
    dot_env.write_text(f"JUPYTER_TOKEN={token}\nJUPYTER_PORT={port}\n")
    try:
        built("up", "-d", timeout=300)
        check_lab(built, port, expected_token=token)
    finally:
        built("down", timeout=120, check=False)
        dot_env.unlink()
