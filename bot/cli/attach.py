"""`claimbot review link|approve --attach-media`: the review item's forwarded photo or video attached to
the verdict, and what it is (`--authenticity`, as for `claimbot media add`)."""

from __future__ import annotations

import argparse
import shlex

from bot.cli.errors import CliError
from bot.domain import Authenticity, MediaAttachment, parse_authenticity

AUTHENTICITY_HELP = (
    "what the media is (schema.org MediaReview): original, out-of-context, edited, transformed "
    "(AI-generated), staged or satire"
)


def authenticity_option(value: str | None) -> Authenticity | None:
    if not value:
        return None
    authenticity = parse_authenticity(value)
    if authenticity is None:
        raise CliError(f"unknown authenticity {value!r}: try original, edited, transformed")
    return authenticity


def add_attach_media_options(parser: argparse.ArgumentParser) -> None:
    """`review link` and `review approve`: attach the item's photo or video to the verdict, on request
    only (what an asker forwarded may be a screenshot of the claim rather than the media itself)."""
    parser.add_argument(
        "--attach-media",
        action="store_true",
        help="also attach the photo or video the item was asked about: its copies are then answered",
    )
    parser.add_argument("--authenticity", help=f"with --attach-media: {AUTHENTICITY_HELP}")
    parser.add_argument(
        "--media-description",
        default="",
        help='with --attach-media: what it really shows ("it does not show a real arrest")',
    )


def attachment(args: argparse.Namespace) -> MediaAttachment | None:
    """The --attach-media choice; --authenticity or --media-description alone is a mistake, not a no."""
    if not args.attach_media:
        if args.authenticity or args.media_description:
            raise CliError("--authenticity and --media-description go with --attach-media")
        return None
    return MediaAttachment(authenticity_option(args.authenticity), args.media_description)


def attachment_flags(args: argparse.Namespace) -> str:
    """The --attach-media options again, for a command line the moderator is told to run."""
    if not args.attach_media:
        return ""
    flags = " --attach-media"
    if args.authenticity:
        flags += f" --authenticity {shlex.quote(args.authenticity)}"
    if args.media_description:
        flags += f" --media-description {shlex.quote(args.media_description)}"
    return flags
