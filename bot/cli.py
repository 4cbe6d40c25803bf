"""The `claimbot` command: ask, chat, import, match, review, export, serve.

Errors a user can cause print one line on stderr and exit with status 2 (no traceback);
an import with bad records exits with status 1 after importing the rest.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from bot.config import Settings, load_settings
from bot.domain import (
    Actor,
    Asker,
    ChatRef,
    FactCheckCard,
    Outcome,
    OutcomeKind,
    Question,
    ReviewSummary,
    ServiceError,
)
from bot.replies import compose, render_text
from bot.service import ClaimService
from store.db import DatabaseUnavailable

EXIT_USAGE = 2
# Commands that never match questions skip building the in-memory index.
NO_INDEX_COMMANDS = ("import", "export", "forget", "purge", "block", "moderators", "healthcheck", "sources")


class CliError(Exception):
    """A one-line message for the person at the terminal."""


def cli_asker() -> Asker:
    return Asker("cli", getpass.getuser())


def cli_actor(settings: Settings, args: argparse.Namespace | None = None) -> Actor:
    # Whoever can run claimbot against the database already holds every right over it.
    # --- acting as a platform identity (issue 8): `--as PLATFORM:USER_ID` is checked like that person ---
    identity = getattr(args, "act_as", None)
    if identity:
        platform, _, user_id = identity.partition(":")
        if platform not in ("telegram", "discord") or not user_id.strip():
            raise CliError(f"--as wants PLATFORM:USER_ID with platform telegram or discord, not {identity!r}")
        user_id = user_id.strip()
        listed = settings.telegram_moderators
        trusted = platform == "telegram" and user_id.isdigit() and int(user_id) in listed
        return Actor(platform, user_id, community=settings.community, platform_admin=trusted)
    # --- end acting as ---
    return Actor("cli", getpass.getuser(), community=settings.community)


def read_stdin_text(stream: TextIO | None = None) -> str:
    """Standard input as text; invalid UTF-8 is a clear error, not a traceback."""
    stream = stream or sys.stdin
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        return stream.read()
    raw = buffer.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"standard input is not valid UTF-8 (byte {exc.start})") from None


# ------------------------------------------------------------------ commands


def cmd_ask(service: ClaimService, args: argparse.Namespace) -> int:
    text = " ".join(args.question) if args.question else read_stdin_text()
    question = Question(text=text, asker=cli_asker(), chat=ChatRef("cli", "terminal"))
    outcome = service.ask(question)
    if outcome.kind is OutcomeKind.REFUSED:
        reasons = {
            "empty": "the question is empty",
            "too_long": f"the question is too long (over {service.settings.max_question_chars} characters)",
        }
        raise CliError(reasons.get(outcome.reason or "", f"the question was refused ({outcome.reason})"))
    reply = render_text(compose(outcome, service.settings.disclaimer))
    if args.json:
        print(json.dumps(outcome_json(outcome, reply), ensure_ascii=False))
    else:
        print(reply)
        if outcome.review_item_id is not None:
            print(f"(review item {outcome.review_item_id})")
    return 0


def outcome_json(outcome: Outcome, reply: str) -> dict[str, object]:
    return {
        "outcome": outcome.kind.value,
        "reply": reply,
        "matches": [
            {
                "url": c.fact_check.url,
                "claim": c.fact_check.claim,
                "rating": c.fact_check.verdict.value,
                "score": round(c.score, 4),
                # Why this matched: for moderators tuning thresholds and aliases.
                "why": {"phrasing": c.phrasing, "signals": {k: round(v, 4) for k, v in c.signals.items()}},
            }
            for c in outcome.candidates
        ],
        "review_id": outcome.review_item_id,
        "request_id": outcome.request_id,
    }


def cmd_chat(service: ClaimService, args: argparse.Namespace) -> int:
    from adapters.terminal import TerminalChat

    TerminalChat(service, sys.stdin, sys.stdout).run()
    return 0


def cmd_import(service: ClaimService, args: argparse.Namespace) -> int:
    from bot.importers import read_records

    failed = False
    for name in args.paths:
        # --- outside sources over HTTP (issue 9): pages, feeds and sitemaps ---
        if name.startswith(("http://", "https://")):
            from bot.sources import import_url, print_url_import

            outcome = import_url(service, name, refresh=getattr(args, "refresh", False))
            print_url_import(outcome)
            failed = failed or outcome.failed
            continue
        # --- end outside sources ---
        path = Path(name)
        if not path.is_file():
            raise CliError(f"no such file: {name}")
        # Running workers pick imported fact-checks up themselves; this process needs no index.
        report = service.import_records(read_records(path, args.format), index=False)
        for error in report.errors + report.notices:
            print(str(error), file=sys.stderr)
        print(
            f"{name}: added {report.added}, updated {report.updated}, skipped {report.skipped}, "
            f"errors {len(report.errors)}"
        )
        failed = failed or report.failed
    return 1 if failed else 0


def cmd_sources(service: ClaimService, args: argparse.Namespace) -> int:
    """Saved feeds of outside fact-checks (issue 9; bot/sources.py)."""
    from bot.sources import command

    return command(service, args)


def cmd_match(service: ClaimService, args: argparse.Namespace) -> int:
    """JSON lines in, one JSON line out per input line, in order, flushed as it goes."""
    status = 0
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            query = json.loads(line)
            query_id, text = query["id"], str(query["text"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            print(f'stdin:{number}: not a {{"id", "text"}} JSON object ({exc})', file=sys.stderr)
            print(json.dumps({"id": None, "outcome": "error", "matches": []}), flush=True)
            status = 1
            continue
        kind, candidates = service.evaluate(text, top_k=args.top)
        print(
            json.dumps(
                {
                    "id": query_id,
                    "outcome": kind,
                    "matches": [{"url": c.fact_check.url, "score": round(c.score, 4)} for c in candidates],
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
    return status


def cmd_review(service: ClaimService, args: argparse.Namespace) -> int:
    actor = cli_actor(service.settings, args)
    action = args.review_action
    if action == "list":
        items = service.queue(actor, limit=args.limit)
        if args.json:
            print(json.dumps([review_json(i) for i in items], ensure_ascii=False, default=str))
            return 0
        if not items:
            print("The review queue is empty.")
        for item in items:
            last = f"{item.last_asked_at:%Y-%m-%d %H:%M}"
            print(f"#{item.id} [{item.status}] asked {item.ask_count}x, last {last}: {item.text}")
    elif action == "show":
        item = service.review_item(actor, args.id)
        if args.json:
            print(json.dumps(review_json(item), ensure_ascii=False, default=str))
        else:
            print(describe_review(item))
    elif action == "link":
        card = service.link(actor, args.id, args.fact_check)
        print(f"Linked review item {args.id} to fact-check {card.id} ({card.verdict.value}: {card.claim}).")
    elif action == "verdict":
        card = service.write_verdict(actor, args.id, args.rating, args.summary, args.source, claim=args.claim)
        print(f"Verdict drafted as fact-check {card.id} ({card.verdict.value}); approve it to publish.")
    elif action == "approve":
        # Without --revision nothing is published: the draft is printed and its revision asked for, so
        # what gets published is what the moderator read (a draft can be rewritten at any time).
        result = service.approve(actor, args.id, args.revision)
        if result.review_again:
            print(describe_draft(args.id, result.fact_check))
            raise CliError(
                f"not published: {result.waiting_for}; to publish the draft shown above, run "
                f"`claimbot review approve {args.id} --revision {result.fact_check.revision}`"
            )
        if result.published:
            print(f"Published fact-check {result.fact_check.id}; {result.notified} notification(s) queued.")
        else:
            print(f"Not published yet: {result.waiting_for}.")
    elif action == "reject":
        service.reject(actor, args.id, args.reason)
        print(f"Rejected review item {args.id}.")
    return 0


def review_json(item: ReviewSummary) -> dict[str, object]:
    return {
        "id": item.id,
        "text": item.text,
        "status": item.status,
        "ask_count": item.ask_count,
        "first_asked_at": item.first_asked_at.isoformat(),
        "last_asked_at": item.last_asked_at.isoformat(),
        "subscribers": item.subscribers,
        "phrasings": list(item.phrasings),
        "suggestions": [
            {"fact_check_id": c.fact_check.id, "claim": c.fact_check.claim, "score": round(c.score, 4)}
            for c in item.suggestions
        ],
        "draft_fact_check_id": item.draft.id if item.draft else None,
        "draft_revision": item.draft.revision if item.draft else None,
        "fact_check_id": item.fact_check.id if item.fact_check else None,
        "reject_reason": item.reject_reason,
    }


def describe_review(item: ReviewSummary) -> str:
    lines = [
        f"Review item #{item.id} [{item.status}]: {item.text}",
        f"Asked {item.ask_count} time(s), first {item.first_asked_at:%Y-%m-%d %H:%M}, "
        f"last {item.last_asked_at:%Y-%m-%d %H:%M}; {item.subscribers} waiting for a verdict.",
    ]
    lines += [f"  phrasing: {p}" for p in item.phrasings if p != item.text]
    for c in item.suggestions:
        lines.append(f"  suggestion: fact-check {c.fact_check.id} ({c.score:.2f}) {c.fact_check.claim}")
    if item.draft:
        draft = item.draft
        lines.append(f"  draft verdict (revision {draft.revision}): {draft.verdict.value}: {draft.summary}")
    if item.reject_reason:
        lines.append(f"  rejected: {item.reject_reason}")
    return "\n".join(lines)


def describe_draft(item_id: int, draft: FactCheckCard) -> str:
    lines = [
        f"Draft verdict for review item #{item_id}, revision {draft.revision}:",
        f"  claim: {draft.claim}",
        f"  rating: {draft.verdict.value}",
        f"  summary: {draft.summary}",
    ]
    lines += [f"  source: {source.url or source.outlet}" for source in draft.sources]
    return "\n".join(lines)


def cmd_export(service: ClaimService, args: argparse.Namespace) -> int:
    from bot.exporters import audit_jsonl, claimreview_jsonld

    if getattr(args, "act_as", None):  # issue 8: acting as someone, even the public export is checked
        service.authorize(cli_actor(service.settings, args), "export", args.format)
    if args.format == "claimreview":
        json.dump(claimreview_jsonld(service.published()), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        service.authorize(cli_actor(service.settings, args), "export", "audit")
        for line in audit_jsonl(service.audit_log(limit=args.limit)):
            print(line)
    return 0


def cmd_forget(service: ClaimService, args: argparse.Namespace) -> int:
    deleted = service.forget(Asker(args.platform, args.user))
    print(f"Deleted {deleted} stored question(s) and subscription(s) of {args.platform} user {args.user}.")
    return 0


def cmd_purge(service: ClaimService, args: argparse.Namespace) -> int:
    days = args.older_than if args.older_than is not None else service.settings.retention_days
    deleted = service.purge_requests(timedelta(days=days))
    print(f"Deleted {deleted} question(s) older than {days} day(s).")
    return 0


def cmd_block(service: ClaimService, args: argparse.Namespace) -> int:
    service.block(cli_actor(service.settings, args), Asker(args.platform, args.user))
    print(f"Blocked {args.platform} user {args.user}: their questions are dropped from now on.")
    return 0


def cmd_moderators(service: ClaimService, args: argparse.Namespace) -> int:
    actor = cli_actor(service.settings)
    if args.moderator_action == "add":
        service.add_moderator(actor, args.platform, args.user, args.role)
        print(f"{args.platform} user {args.user} is now a {args.role} of {service.settings.community}.")
    elif args.moderator_action == "remove":
        removed = service.remove_moderator(actor, args.platform, args.user)
        print("Removed." if removed else "No such moderator.")
    else:
        for moderator in service.moderators(actor):
            since = f"{moderator.added_at:%Y-%m-%d}"
            print(f"{moderator.platform}:{moderator.user_id} {moderator.role} (since {since})")
    return 0


def cmd_healthcheck(service: ClaimService, args: argparse.Namespace) -> int:
    service.healthy()
    print("ok")
    return 0


def cmd_serve(service: ClaimService, args: argparse.Namespace) -> int:
    if args.platform == "telegram":
        if service.settings.telegram_bot_token is None:
            raise CliError("TELEGRAM_BOT_TOKEN is not set")
        from adapters import telegram

        telegram.run(
            service, service.settings, webhook_url=args.webhook_url, listen=args.listen, port=args.port
        )
    else:
        if service.settings.discord_token is None:
            raise CliError("DISCORD_TOKEN is not set")
        from adapters import discord as discord_adapter

        discord_adapter.run(service, service.settings)
    return 0


# ------------------------------------------------------------------ wiring


def build_parser() -> argparse.ArgumentParser:
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
    ask.set_defaults(handler=cmd_ask)

    chat = commands.add_parser("chat", parents=[common], help="a conversation in the terminal, as in a DM")
    chat.set_defaults(handler=cmd_chat)

    importer = commands.add_parser(
        "import", parents=[common], help="import fact-checks from files or http(s) URLs"
    )
    importer.add_argument("paths", nargs="+", metavar="PATH")
    importer.add_argument("--format", choices=["report", "claimreview", "csv", "checkthat"], default=None)
    # --- outside sources over HTTP (issue 9) ---
    importer.add_argument(
        "--refresh", action="store_true", help="URLs: fetch again even when unchanged (no ETag/Last-Modified)"
    )
    importer.set_defaults(handler=cmd_import)

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
    reject = actions.add_parser("reject", parents=[common], help="close an item without a verdict")
    reject.add_argument("id", type=int)
    reject.add_argument("--reason", required=True)
    review.set_defaults(handler=cmd_review)

    export = commands.add_parser(
        "export", parents=[common], help="export published fact-checks or the audit log"
    )
    export.add_argument("--format", choices=["claimreview", "audit"], default="claimreview")
    export.add_argument("--limit", type=int, default=100_000)
    export.set_defaults(handler=cmd_export)

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

    serve = commands.add_parser("serve", parents=[common], help="run the bot on a chat platform")
    serve.add_argument("platform", choices=["telegram", "discord"])
    serve.add_argument("--webhook-url", default=None, help="Telegram: receive updates by webhook at this URL")
    serve.add_argument("--listen", default="0.0.0.0", help="Telegram webhook: address to listen on")
    serve.add_argument("--port", type=int, default=8443, help="Telegram webhook: port to listen on")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
        return handler(service, args)
    except (CliError, ServiceError, DatabaseUnavailable) as exc:
        print(f"claimbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(f"claimbot: no such file: {exc.filename or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
