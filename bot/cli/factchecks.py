"""`claimbot factchecks rate ID VERDICT`: a moderator gives an unrated fact-check its verdict (issue 14).

Kept apart from the other `factchecks` actions so that each can be added on its own: `add_rate` puts
its parser into the group's actions, and `cmd_factchecks` dispatches on the action.
"""

from __future__ import annotations

import argparse

from bot.cli.commands import cli_actor
from bot.service import ClaimService


def add_rate(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rate = actions.add_parser("rate", parents=[common], help="give an unrated fact-check its verdict")
    rate.add_argument("id", type=int, help="the fact-check's id")
    rate.add_argument("verdict", help="False, Mostly false, Misleading, … True (the verdict scale)")
    rate.set_defaults(factchecks_handler=cmd_rate)


def cmd_factchecks(service: ClaimService, args: argparse.Namespace) -> int:
    return args.factchecks_handler(service, args)


def cmd_rate(service: ClaimService, args: argparse.Namespace) -> int:
    card = service.rate(cli_actor(service.settings, args), args.id, args.verdict)
    print(f"Rated fact-check {card.id} {card.verdict.icon} {card.verdict.value}: {card.title or card.claim}")
    return 0
