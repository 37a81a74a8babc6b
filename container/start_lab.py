"""Start JupyterLab in the project's container and print the link that opens it.

    python container/start_lab.py            JupyterLab on port 8888, serving /project
    python container/start_lab.py --health   exit 0 when JupyterLab answers (the HEALTHCHECK)

The access token is $JUPYTER_TOKEN (set it in .env or the environment for a fixed one);
when it is unset or empty, a random token is made for this start. Authentication is never
switched off. The link names 127.0.0.1 and the host port ($LAB_HOST_PORT, set by
docker-compose.yaml from $JUPYTER_PORT), because the port is published on the host's
loopback only.
"""

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

PORT = 8888  # inside the container; docker-compose.yaml publishes it on 127.0.0.1
ROOT_DIR = "/project"
READY_TIMEOUT_SECONDS = 300


def lab_command(host_port: str) -> list[str]:
    return [
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=0.0.0.0",
        f"--port={PORT}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={ROOT_DIR}",
        # Listening on all interfaces inside the container would otherwise turn off the
        # Host-header check that protects against DNS rebinding; keep it on.
        "--ServerApp.allow_remote_access=False",
        f"--ServerApp.custom_display_url=http://127.0.0.1:{host_port}",
    ]


def answers(url: str, headers: dict | None = None) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def announce_when_ready(token: str, host_port: str, lab: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while lab.poll() is None and time.monotonic() < deadline:
        if answers(f"http://127.0.0.1:{PORT}/api/status", {"Authorization": f"token {token}"}):
            link = f"http://127.0.0.1:{host_port}/lab?token={token}"
            print(f"\n    JupyterLab is ready. Open this link in your browser:\n\n        {link}\n", flush=True)
            return
        time.sleep(0.5)


def main() -> int:
    if "--health" in sys.argv[1:]:
        return 0 if answers(f"http://127.0.0.1:{PORT}/api") else 1
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    host_port = os.environ.get("LAB_HOST_PORT") or str(PORT)
    lab = subprocess.Popen(lab_command(host_port), env={**os.environ, "JUPYTER_TOKEN": token})
    for signum in (signal.SIGTERM, signal.SIGINT):  # `docker stop` / Ctrl-C reach JupyterLab
        signal.signal(signum, lambda received, _frame: lab.send_signal(received))
    threading.Thread(target=announce_when_ready, args=(token, host_port, lab), daemon=True).start()
    return lab.wait()


if __name__ == "__main__":
    sys.exit(main())
