#!/usr/bin/env bash
# Test harness for the container test (tests/end_to_end/test_container.py): what this machine needs so
# that the project's own Dockerfile and docker-compose.yaml build and run unchanged under
# podman. None of this belongs in the Dockerfile or the compose file, which stay what a
# user with Docker runs.
#
#   .ci/container_harness.sh prepare   engine settings + the stand-in base image; prints the
#                                      CONTAINERS_CONF path to export (last line of stdout)
#   .ci/container_harness.sh check     exit 0 when podman, runc and debootstrap are present (and
#                                      we are root), else print what is missing and exit 1
#   .ci/container_harness.sh warm      prepare, then build the project's image once so its slow
#                                      layers (the JDK, pip install) are in podman's layer cache;
#                                      .ci/run starts it in the background while the tests run
# prepare and warm hold a lock on the cache folder, so the test's prepare waits for a warm
# started before it, and its own build then takes those layers from the cache.
#
# Why each piece (the recipe was proven end to end on a machine of this kind, 2026-11-22):
# - engine settings: crun fails here on setrlimit and hybrid cgroups; runc + cgroupfs works.
# - stand-in base: no container registry is reachable, so `python:3.11-slim` (Debian bookworm
#   with Python 3.11, as the official image is) is made locally with debootstrap and tagged
#   docker.io/library/python:3.11-slim, so that `FROM python:3.11-slim` resolves to it.
# - proxy CA: package downloads go through a TLS proxy whose CA is in the host's
#   /usr/local/share/ca-certificates/; it is added to the stand-in base (never mounted into a
#   build: the JDK package writes under /etc/ssl/certs/java).
# The debootstrap root (the slow part, ~2.5 min) is cached as a tarball under
# $DATAMART_CI_CACHE (default ~/.cache/datamart-ci/); the CA layer on top is rebuilt in a few
# seconds whenever the host's CA files change.
set -euo pipefail

CACHE_DIR="${DATAMART_CI_CACHE:-${HOME}/.cache/datamart-ci}"
BASE_IMAGE="docker.io/library/python:3.11-slim"
RAW_IMAGE="localhost/datamart-ci/bookworm-python3.11-rootfs:latest"
ROOTFS_TAR="${CACHE_DIR}/bookworm-python3.11-rootfs.tar"
DEBIAN_MIRROR="${DATAMART_CI_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CA_DIR="/usr/local/share/ca-certificates"
CONF="${CACHE_DIR}/containers.conf"
LOCK="${CACHE_DIR}/harness.lock"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
# The build arguments of tests/end_to_end/test_container.py (HOST_UID = HOST_GID = 1234), so
# that every layer but the code's matches the test's build.
TEST_BUILD_ARGS=(--build-arg HOST_UID=1234 --build-arg HOST_GID=1234)

log() { echo "[container-harness] $*" >&2; }

check() {
    local missing=()
    for tool in podman runc debootstrap; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "missing: ${missing[*]} (apt-get install -y podman runc debootstrap)"
        return 1
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "the stand-in base image is made with debootstrap, which needs root"
        return 1
    fi
}

write_conf() {
    mkdir -p "$CACHE_DIR"
    cat >"$CONF" <<'EOF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF
    export CONTAINERS_CONF="$CONF"
}

build_rootfs_tar() {
    [ -s "$ROOTFS_TAR" ] && return 0
    log "building the stand-in for ${BASE_IMAGE} with debootstrap (once per machine, ~2.5 min)"
    local root
    root="$(mktemp -d "${CACHE_DIR}/rootfs.XXXXXX")"
    debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
        bookworm "$root" "$DEBIAN_MIRROR" >"${CACHE_DIR}/debootstrap.log" 2>&1 \
        || { log "debootstrap failed, see ${CACHE_DIR}/debootstrap.log"; rm -rf "$root"; return 1; }
    # What python:3.11-slim offers: `python` and `pip` on the PATH, pip allowed to install.
    rm -f "$root"/usr/lib/python3.11/EXTERNALLY-MANAGED
    ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
    ln -sf /usr/bin/pip3 "$root/usr/local/bin/pip"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "${ROOTFS_TAR}.partial" .
    mv "${ROOTFS_TAR}.partial" "$ROOTFS_TAR"
    rm -rf "$root"
}

ca_fingerprint() {
    # Sorted file names and contents of the host's extra CAs: the CA layer's cache key.
    (cd "$CA_DIR" && find . -name '*.crt' -type f | LC_ALL=C sort | xargs -r cat) | sha256sum | cut -c1-16
}

ensure_base_image() {
    local fingerprint current
    fingerprint="$(ca_fingerprint)"
    current="$(podman image inspect --format '{{index .Labels "datamart-ci.ca"}}' "$BASE_IMAGE" 2>/dev/null || true)"
    if [ "$current" = "$fingerprint" ]; then
        log "stand-in ${BASE_IMAGE} is ready (cached)"
        return 0
    fi
    build_rootfs_tar
    if ! podman image exists "$RAW_IMAGE"; then
        log "importing ${ROOTFS_TAR}"
        podman import --change 'ENV=LANG=C.UTF-8' --change 'CMD=["python3"]' "$ROOTFS_TAR" "$RAW_IMAGE" >/dev/null
    fi
    local context
    context="$(mktemp -d)"
    find "$CA_DIR" -maxdepth 1 -name '*.crt' -type f -exec cp {} "$context/" \;
    cat >"$context/Containerfile" <<EOF
FROM ${RAW_IMAGE}
COPY . /usr/local/share/ca-certificates/
RUN rm -f /usr/local/share/ca-certificates/Containerfile && update-ca-certificates >/dev/null
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt
LABEL datamart-ci.ca=${fingerprint}
EOF
    log "adding the host's proxy CA to the stand-in and tagging it ${BASE_IMAGE}"
    podman build --quiet --network=none -t "$BASE_IMAGE" -f "$context/Containerfile" "$context" >/dev/null
    rm -rf "$context"
}

warm_image_cache() {
    # The context is the Dockerfile and requirements.txt alone: the layers up to pip install
    # are the same as the test's (the code layer is the test's own), and .ci/run may be
    # creating .venv in the project folder meanwhile. --cpu-shares 2: the build's RUN steps
    # run in a cgroup of their own, and .ci/run's nice only weighs a process against others in
    # its cgroup: with the default 1024 shares that cgroup takes a core from the tests as one
    # equal competitor; with 2 it runs on what they leave idle. Layer caching ignores it.
    log "building the project's dependency layers once, to fill the layer cache"
    local context
    context="$(mktemp -d)"
    cp "$REPO/Dockerfile" "$REPO/requirements.txt" "$context/"
    BUILDAH_FORMAT=docker podman build --quiet --cpu-shares 2 "${TEST_BUILD_ARGS[@]}" \
        -t localhost/datamart-ci/loan-default-datamart:warm "$context" >/dev/null
    rm -rf "$context"
}

locked() {
    # Run this script's $1 under the cache folder's lock. -o: podman's own children (which
    # may outlive a build) do not inherit the lock.
    mkdir -p "$CACHE_DIR"
    exec flock -o "$LOCK" bash "$0" "$1"
}

case "${1:-}" in
    check)
        check
        ;;
    prepare | warm)
        check >&2 || exit 1
        locked "_$1"
        ;;
    _prepare)
        write_conf
        ensure_base_image
        echo "$CONF"
        ;;
    _warm)
        write_conf
        ensure_base_image
        warm_image_cache
        log "image layers cached"
        ;;
    *)
        echo "usage: $0 prepare|check|warm" >&2
        exit 2
        ;;
esac
