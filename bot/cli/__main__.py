"""`python -m bot.cli`: the `claimbot` command."""

from bot.cli import run

run()
