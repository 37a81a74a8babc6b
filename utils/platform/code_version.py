"""Which code made a result: the git commit when the project is a checkout, else a hash of the code."""

import hashlib
import subprocess
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
CODE = ("main.py", "utils")  # what builds the datamart and its training sets


def git(*argv: str) -> str | None:
    try:
        done = subprocess.run(["git", *argv], cwd=PROJECT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_sha256() -> str:
    digest = hashlib.sha256()
    for path in sorted([PROJECT / "main.py", *(PROJECT / "utils").rglob("*.py")]):
        digest.update(path.relative_to(PROJECT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_version() -> dict:
    """`git_commit` and `uncommitted_changes` (tracked code edited since that commit, then with
    `code_sha256` too), or `code_sha256` alone outside a git checkout."""
    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"code_sha256": code_sha256()}
    if git("status", "--porcelain", "--untracked-files=no", "--", *CODE):
        return {"git_commit": commit, "uncommitted_changes": True, "code_sha256": code_sha256()}
    return {"git_commit": commit, "uncommitted_changes": False}


def describe(version: dict) -> str:
    if "git_commit" in version:
        return version["git_commit"][:12] + (" with uncommitted changes" if version["uncommitted_changes"] else "")
    return f"code sha256 {version['code_sha256'][:12]}"
