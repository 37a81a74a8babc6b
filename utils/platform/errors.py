"""Errors a user can cause and fix. main.py prints their message as one sentence, no trace."""


class UserError(Exception):
    """Bad input or arguments: the message names the file or flag and says how to fix it."""


class DataContractError(Exception):
    """The data broke a rule that must stop the run (a fail-the-run quality rule, or a
    reconciliation that does not add up). The datamart keeps what it had before."""
