"""The `claimbot` command: ask, chat, import, index, match, review, export, serve.

Errors a user can cause print one line on stderr and exit with status 2 (no traceback);
an import with bad records exits with status 1 after importing the rest.
The commands themselves are in `bot.cli.commands`; this module builds the parser and runs one.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from bot.i18n import LANGUAGES, supported

EXIT_USAGE = 2
# Commands that never match questions skip building the in-memory index.
NO_INDEX_COMMANDS = (
    "import",
    "index",
    "export",
    "feedback",
    "forget",
    "purge",
    "block",
    "moderators",
    "healthcheck",
    "sources",
    "factchecks",
    "starter",
    "console-link",
)

# One-shot commands whose process ends once the reply is printed and its writes are committed:
# the `claimbot` program leaves them without the interpreter's teardown of every module and object,
# ~0.25 s of a 1.2 s `claimbot ask` at 14k fact-checks (README, on the match index files), and
# 5-15% of a whole 14k-record `claimbot import` (its reader process has ended with the import).
QUICK_EXIT_COMMANDS = ("ask", "match", "import")


LANG_HELP = f"reply in this language ({', '.join(LANGUAGES)}) instead of the question's or the terminal's"


def reply_language(value: str) -> str:
    """`--lang`: a language with a catalog; anything else is a usage error naming the ones there are."""
    language = supported(value)
    if language is None:
        raise argparse.ArgumentTypeError(f"no replies in {value!r}; use one of: {', '.join(LANGUAGES)}")
    return language


def build_parser() -> argparse.ArgumentParser:
    # The commands import the whole bot (the store, the matcher, the use cases): here, not at the
    # top, so that main() can start loading the sentence model first (_load_model_early).
    from bot.cli.attach import add_attach_media_options
    from bot.cli.commands import (
        cmd_ask,
        cmd_block,
        cmd_chat,
        cmd_console_link,
        cmd_export,
        cmd_feedback,
        cmd_forget,
        cmd_healthcheck,
        cmd_import,
        cmd_index,
        cmd_match,
        cmd_matching,
        cmd_moderators,
        cmd_purge,
        cmd_review,
        cmd_serve,
        cmd_sources,
    )
    from bot.cli.factchecks import add_browse_commands, add_rate, add_starter_commands
    from bot.cli.media import add_media_parser

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="database URL (default: CLAIMBOT_DATABASE_URL or a SQLite file in your data directory)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    common.add_argument(  # issue 8: review, block and export checked as a platform identity
        "--as",
        dest="act_as",
        metavar="PLATFORM:USER_ID",
        default=argparse.SUPPRESS,
        help="review/block/export: act as (and be checked as) this telegram or discord user",
    )

    parser = argparse.ArgumentParser(prog="claimbot", description=__doc__.splitlines()[0], parents=[common])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = commands.add_parser("ask", parents=[common], help="answer one question as a chat user would get it")
    ask.add_argument("question", nargs="*", help="the question (read from standard input when omitted)")
    ask.add_argument("--json", action="store_true", help="print the outcome as JSON")
    ask.add_argument(
        "--send-to-review",
        action="store_true",
        help="when nothing matches, send the claim to the fact-checkers (a review item)",
    )
    ask.add_argument("--lang", type=reply_language, metavar="CODE", help=LANG_HELP)
    ask.add_argument(
        "--media", metavar="FILE", help="check a photo or video, with the question as its caption"
    )
    ask.set_defaults(handler=cmd_ask)

    add_media_parser(commands, common)

    chat = commands.add_parser("chat", parents=[common], help="a conversation in the terminal, as in a DM")
    chat.add_argument("--lang", type=reply_language, metavar="CODE", help=LANG_HELP)
    chat.set_defaults(handler=cmd_chat)

    importer = commands.add_parser(
        "import", parents=[common], help="import fact-checks from files or http(s) URLs"
    )
    importer.add_argument("paths", nargs="+", metavar="PATH")
    importer.add_argument(
        "--format",
        choices=["report", "claimreview", "mediareview", "csv", "checkthat"],
        default=None,
        help="claimreview and mediareview are one reader: JSON, JSON-LD or JSON Lines holding either",
    )
    # --- outside sources over HTTP (issue 9) ---
    importer.add_argument(
        "--refresh", action="store_true", help="URLs: fetch again even when unchanged (no ETag/Last-Modified)"
    )
    importer.set_defaults(handler=cmd_import)

    index = commands.add_parser(
        "index", parents=[common], help="compute the sentence vectors fact-checks lack, in batches"
    )
    index.add_argument(
        "--reencode",
        action="store_true",
        help="also re-encode fact-checks whose vectors are another model's (once, after a model change)",
    )
    index.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="batches encoded at once, one core each (default: every core this process may use)",
    )
    index.set_defaults(handler=cmd_index)

    sources = commands.add_parser("sources", parents=[common], help="saved feeds of outside fact-checks")
    source_actions = sources.add_subparsers(dest="sources_action", required=True, metavar="ACTION")
    source_add = source_actions.add_parser("add", parents=[common], help="save a page, feed or sitemap URL")
    source_add.add_argument("url")
    source_actions.add_parser("list", parents=[common], help="saved sources and how their last sync went")
    source_remove = source_actions.add_parser("remove", parents=[common], help="forget a source (URL or #id)")
    source_remove.add_argument("source")
    source_sync = source_actions.add_parser("sync", parents=[common], help="sync every due source once")
    source_sync.add_argument("--force", action="store_true", help="also sources that are backing off")
    sources.set_defaults(handler=cmd_sources)
    # --- end outside sources ---

    match = commands.add_parser("match", parents=[common], help="match JSON lines {id, text} from stdin")
    match.add_argument("--top", type=int, default=5)
    match.set_defaults(handler=cmd_match)

    matching = commands.add_parser("matching", parents=[common], help="the matcher's learned answer check")
    matching_actions = matching.add_subparsers(dest="matching_action", required=True, metavar="ACTION")
    fit = matching_actions.add_parser(
        "fit", parents=[common], help="refit the verifier from moderators' links and feedback"
    )
    fit.add_argument(
        "--output", default=None, help="where to write the weights (default: CLAIMBOT_VERIFIER_WEIGHTS)"
    )
    matching.set_defaults(handler=cmd_matching)

    review = commands.add_parser("review", parents=[common], help="work the review queue")
    actions = review.add_subparsers(dest="review_action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="open items, most asked first")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", parents=[common], help="one item with its phrasings and suggestions")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    link = actions.add_parser("link", parents=[common], help="answer an item with an existing fact-check")
    link.add_argument("id", type=int)
    link.add_argument("fact_check", type=int)
    add_attach_media_options(link)
    verdict = actions.add_parser("verdict", parents=[common], help="write a new verdict for an item")
    verdict.add_argument("id", type=int)
    verdict.add_argument("--rating", required=True)
    verdict.add_argument("--summary", required=True)
    verdict.add_argument(
        "--source", action="append", default=[], required=True, help="source URL (repeatable)"
    )
    verdict.add_argument("--claim", default=None, help="the claim as checked (default: the question)")
    approve = actions.add_parser("approve", parents=[common], help="publish an item's verdict")
    approve.add_argument("id", type=int)
    approve.add_argument(
        "--revision",
        type=int,
        default=None,
        help="the draft revision you checked (left out: print the draft)",
    )
    add_attach_media_options(approve)
    reject = actions.add_parser("reject", parents=[common], help="close an item without a verdict")
    reject.add_argument("id", type=int)
    reject.add_argument("--reason", required=True)
    review.set_defaults(handler=cmd_review)

    factchecks = commands.add_parser("factchecks", parents=[common], help="the stored fact-checks")
    factcheck_actions = factchecks.add_subparsers(dest="factchecks_action", required=True, metavar="ACTION")
    add_browse_commands(factcheck_actions, common)  # list, search, show (bot/cli/factchecks.py)
    add_rate(factcheck_actions, common)
    add_starter_commands(commands, common)  # starter remove

    export = commands.add_parser(
        "export", parents=[common], help="export published fact-checks or the audit log"
    )
    export.add_argument("--format", choices=["claimreview", "mediareview", "audit"], default="claimreview")
    export.add_argument("--limit", type=int, default=100_000)
    export.set_defaults(handler=cmd_export)

    feedback = commands.add_parser(
        "feedback", parents=[common], help="what askers said of the answers, per fact-check"
    )
    feedback.add_argument("--limit", type=int, default=20)
    feedback.add_argument("--json", action="store_true", help="one JSON list of the tallies")
    feedback.set_defaults(handler=cmd_feedback)

    forget = commands.add_parser(
        "forget", parents=[common], help="delete a person's questions and subscriptions"
    )
    forget.add_argument("--platform", required=True, choices=["telegram", "discord", "terminal", "cli"])
    forget.add_argument("--user", required=True, help="the person's user id on that platform")
    forget.set_defaults(handler=cmd_forget)

    purge = commands.add_parser("purge", parents=[common], help="delete questions older than the retention")
    purge.add_argument(
        "--older-than", type=int, default=None, metavar="DAYS", help="default: CLAIMBOT_RETENTION_DAYS (90)"
    )
    purge.set_defaults(handler=cmd_purge)

    block = commands.add_parser("block", parents=[common], help="drop a person's questions from now on")
    block.add_argument("--platform", required=True, choices=["telegram", "discord"])
    block.add_argument("--user", required=True)
    block.set_defaults(handler=cmd_block)

    moderators = commands.add_parser("moderators", parents=[common], help="who may work the review queue")
    moderator_actions = moderators.add_subparsers(dest="moderator_action", required=True, metavar="ACTION")
    moderator_actions.add_parser("list", parents=[common])
    for name in ("add", "remove"):
        sub = moderator_actions.add_parser(name, parents=[common])
        sub.add_argument("--platform", required=True, choices=["telegram", "discord"])
        sub.add_argument("--user", required=True)
        if name == "add":
            sub.add_argument("--role", choices=["moderator", "admin"], default="moderator")
    moderators.set_defaults(handler=cmd_moderators)

    health = commands.add_parser("healthcheck", parents=[common], help="exit 0 when the database answers")
    health.set_defaults(handler=cmd_healthcheck)

    serve = commands.add_parser(
        "serve", parents=[common], help="run the bot on a chat platform, or the moderators' web console"
    )
    serve.add_argument("platform", choices=["telegram", "discord", "web"])
    serve.add_argument("--webhook-url", default=None, help="Telegram: receive updates by webhook at this URL")
    serve.add_argument(
        "--listen", default="0.0.0.0", help="Telegram webhook, web console: address to listen on"
    )
    serve.add_argument(
        "--port", type=int, default=None, help="Telegram webhook (default 8443), web console (default 8080)"
    )
    serve.set_defaults(handler=cmd_serve)

    console_link = commands.add_parser(
        "console-link",
        parents=[common],
        help="print a single-use sign-in link to the web console for --as PLATFORM:USER_ID",
    )
    console_link.set_defaults(handler=cmd_console_link)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The command word of a command line, skipping the common options (and --db's and --as's values)."""
    words = iter(argv)
    for word in words:
        if word in ("--db", "--as"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _load_model_early(argv: Sequence[str]) -> None:
    """Start loading the sentence model in a thread before the bot is imported, for a command that
    will open the match index with embeddings on (ClaimService.open would start the same load after
    the imports and the database's opening, and then finds it started). Loading takes ~0.3 s of CPU,
    most of it inside onnxruntime without the GIL: on a second core it is over by the time the
    imports are, instead of being what a one-shot `claimbot ask` waits for last."""
    command = _command(argv)
    if command is None or command in NO_INDEX_COMMANDS or "-h" in argv or "--help" in argv:
        return
    from bot import sentence_model
    from bot.config import load_settings

    try:
        semantic = load_settings().semantic
    except Exception:  # noqa: BLE001 - a bad setting is reported by main() as before; no early load
        return
    if semantic and sentence_model.available():
        sentence_model.load_soon()


def run() -> NoReturn:
    """The `claimbot` program (and `python -m bot.cli`)."""
    sys.exit(main(quick_exit=True))


def main(argv: Sequence[str] | None = None, *, quick_exit: bool = False) -> int:
    """Run one command and return its exit status; with `quick_exit` (the program, not a caller
    in the same process) a QUICK_EXIT_COMMANDS command ends the process once it is done."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _load_model_early(argv)
    args = build_parser().parse_args(argv)
    from bot.cli.commands import CliError
    from bot.config import load_settings
    from bot.domain import ServiceError
    from bot.matching.verifier import VerifierWeightsError
    from bot.service import ClaimService
    from store.db import DatabaseUnavailable

    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Transport loggers print request URLs, and Telegram's URLs hold the bot token.
    for name in ("httpx", "httpcore", "telegram.request", "discord.http"):
        logging.getLogger(name).setLevel(logging.WARNING)
    handler: Callable[[ClaimService, argparse.Namespace], int] = args.handler
    try:
        settings = load_settings(CLAIMBOT_DATABASE_URL=getattr(args, "db", None))
        service = ClaimService.open(settings, load_index=args.command not in NO_INDEX_COMMANDS)
        status = handler(service, args)
        if quick_exit and args.command in QUICK_EXIT_COMMANDS:
            service.engine.dispose()
            _leave(status)
        return status
    except (CliError, ServiceError, DatabaseUnavailable, VerifierWeightsError) as exc:
        print(f"claimbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(f"claimbot: no such file: {exc.filename or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _leave(status: int) -> NoReturn:
    """End the process now: what it printed flushed, its log handlers closed, its database
    connections already returned. The threads that may still run are daemons the interpreter would
    not wait for either (the model's load when the question never needed it, the index files'
    deferred checksums, which only read); every write was committed by the command itself."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away: as main() does, not an error
        status = 0
    logging.shutdown()
    os._exit(status)
