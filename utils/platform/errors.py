"""Errors a user can cause and fix. main.py prints their message as one sentence, no trace."""

import errno


class UserError(Exception):
    """Bad input or arguments: the message names the file or flag and says how to fix it."""


class DataContractError(Exception):
    """The data broke a rule that must stop the run (a fail-the-run quality rule, or a
    reconciliation that does not add up). The datamart keeps what it had before."""


NO_SPACE = "No space left on device"  # the operating system's words for ENOSPC, in Python's and Java's errors


def is_disk_full(error: BaseException) -> bool:
    """The disk filled up: ENOSPC from Python, or a Spark or Hadoop error that carries the
    operating system's message somewhere in its chain of causes."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if NO_SPACE in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
