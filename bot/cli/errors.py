"""The one error every `claimbot` command raises for its user."""

from __future__ import annotations


class CliError(Exception):
    """A one-line message for the person at the terminal."""
