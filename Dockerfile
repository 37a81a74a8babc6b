# The loan-default datamart in a container: JupyterLab by default, or the batch job
# (`docker-compose run --rm datamart python main.py`). docker-compose.yaml mounts the
# project over /project, so datamart/ and notebook edits land in your clone on the host.
FROM python:3.11-slim

# Spark 4 needs Java 17 or 21; Debian bookworm ships 17. (The man directory is missing in
# slim images, and the JRE's post-install step writes a link there.)
# hadolint ignore=DL3008
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, in their own layer: a code change does not reinstall them.
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

# A non-root user whose ids match yours on the host, so files written to the mounted
# project stay yours: docker-compose build passes HOST_UID / HOST_GID (default 1000).
# The class-archive cache folder is made here, owned by that user, because docker-compose.yaml
# mounts a named volume on it and a new volume takes the folder's owner.
ARG HOST_UID=1000
ARG HOST_GID=1000
RUN if [ "${HOST_UID}" = 0 ]; then echo "HOST_UID must not be 0: the container runs as a normal user" >&2; exit 1; fi \
    && if ! getent group "${HOST_GID}" >/dev/null; then groupadd --gid "${HOST_GID}" datamart; fi \
    && useradd --uid "${HOST_UID}" --gid "${HOST_GID}" --create-home --shell /bin/bash datamart \
    && mkdir -p /home/datamart/.cache/loan-default-datamart \
    && chown -R "${HOST_UID}:${HOST_GID}" /home/datamart/.cache

# The code, also baked in so the image works without the mount.
WORKDIR /project
COPY --chown=${HOST_UID}:${HOST_GID} . /project
USER ${HOST_UID}:${HOST_GID}

EXPOSE 8888
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "/project/container/start_lab.py", "--health"]
CMD ["python", "/project/container/start_lab.py"]
