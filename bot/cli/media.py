"""`claimbot media add`: attach known photos and videos to a fact-check; `ask --media` reads a file."""

from __future__ import annotations

import argparse

from bot.cli.attach import AUTHENTICITY_HELP, authenticity_option
from bot.cli.commands import cli_actor, read_media
from bot.service import ClaimService


def add_media_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    media = commands.add_parser("media", parents=[common], help="known photos and videos of fact-checks")
    actions = media.add_subparsers(dest="media_action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", parents=[common], help="attach media to a fact-check: its copies then match"
    )
    add.add_argument("fact_check_id", type=int)
    add.add_argument("files", nargs="+", metavar="FILE")
    add.add_argument("--authenticity", help=AUTHENTICITY_HELP)
    add.add_argument(
        "--description", default="", help='what it really shows: "it does not show a real arrest"'
    )
    media.set_defaults(handler=cmd_media)


def cmd_media(service: ClaimService, args: argparse.Namespace) -> int:
    authenticity = authenticity_option(args.authenticity)
    actor = cli_actor(service.settings, args)
    for path in args.files:
        media = read_media(path)
        media_id = service.attach_media(actor, args.fact_check_id, media, authenticity, args.description)
        print(f"{path}: known media #{media_id} of fact-check #{args.fact_check_id}")
    return 0
