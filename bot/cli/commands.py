"""The `claimbot` commands, one function each: take the parsed arguments, call the service, print the result.

Errors a user can cause raise `CliError` (or the service's `ServiceError`); `bot.cli.main` prints them
as one line on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from bot.cli.attach import attachment, attachment_flags
from bot.cli.errors import CliError
from bot.config import Settings
from bot.domain import (
    Actor,
    Asker,
    ChatRef,
    FactCheckCard,
    MediaFile,
    Outcome,
    OutcomeKind,
    Question,
    ReviewSummary,
)
from bot.i18n import environment_language
from bot.replies import CLI_HOW_TO_SEND, CLI_SENT, UNMATCHED_SUMMARY, compose, render_text
from bot.service import ClaimService


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


def read_media(path: str) -> MediaFile:
    """A local photo or video as a chat would send it; refused before reading when over the limit."""
    # Here, not at the top: the fingerprinting's modules are for `ask --media` and `media add` only.
    from bot.media.fingerprints import MAX_VIDEO_BYTES

    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_VIDEO_BYTES:
            raise CliError(f"{path}: {size // 2**20} MB is over the {MAX_VIDEO_BYTES // 2**20} MB limit")
        return MediaFile(file.read_bytes(), file.name)
    except OSError as error:
        raise CliError(f"{path}: {error.strerror or error}") from None


def cmd_ask(service: ClaimService, args: argparse.Namespace) -> int:
    media = read_media(args.media) if getattr(args, "media", None) else None
    text = " ".join(args.question) if args.question or media else read_stdin_text()
    question = Question(
        text=text,
        asker=cli_asker(),
        chat=ChatRef("cli", "terminal"),
        language_hint=environment_language(),
        language=args.lang,
        media=media,
    )
    outcome = service.ask(question)
    if outcome.kind is OutcomeKind.REFUSED and outcome.media is not None:
        raise CliError(outcome.media.error or "the file could not be checked")
    if outcome.kind is OutcomeKind.REFUSED and outcome.link is None:  # a link's reply is printed below
        reasons = {
            "empty": "the question is empty",
            "too_long": f"the question is too long (over {service.settings.max_question_chars} characters)",
        }
        raise CliError(reasons.get(outcome.reason or "", f"the question was refused ({outcome.reason})"))
    considered = outcome.considered
    if outcome.kind is OutcomeKind.UNMATCHED and getattr(args, "send_to_review", False):
        assert outcome.request_id is not None
        outcome = replace(service.send_to_review(outcome.request_id, cli_asker()), considered=considered)
    reply = render_text(compose(outcome, service.settings.disclaimer))
    if outcome.kind is OutcomeKind.UNMATCHED:  # the buttons of a chat, said in words
        reply = "\n".join(line for line in reply.splitlines() if line != UNMATCHED_SUMMARY)
        reply += "\n" + CLI_HOW_TO_SEND
    elif outcome.kind is OutcomeKind.QUEUED and outcome.review_item_id is not None:
        reply += "\n" + CLI_SENT.format(item=outcome.review_item_id)
    if args.json:
        print(json.dumps(outcome_json(outcome, reply), ensure_ascii=False))
    else:
        print(reply)
    return 0


def outcome_json(outcome: Outcome, reply: str) -> dict[str, object]:
    """Every candidate weighed, each with its real score; `shown` marks those offered to the asker."""
    shown = {c.fact_check.id for c in outcome.candidates}
    if outcome.fact_check is not None:
        shown.add(outcome.fact_check.id)
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
                "shown": c.fact_check.id in shown,
            }
            for c in outcome.considered or outcome.candidates
        ],
        "verifier": verifier_json(outcome),
        "review_id": outcome.review_item_id,
        "request_id": outcome.request_id,
        "media": None
        if outcome.media is None
        else {
            "kind": outcome.media.kind,
            "via": outcome.media.via,
            "authenticity": outcome.media.authenticity.value if outcome.media.authenticity else None,
            "text_read": outcome.media.text_read,
        },
    }


def verifier_json(outcome: Outcome) -> dict[str, object] | None:
    """The learned check on the top candidate: its probability, the threshold it had to reach, and
    the signals it weighed (bot/matching/verifier.py)."""
    if not outcome.candidates:
        return None
    signals = outcome.candidates[0].signals
    bound = signals.get("verifier_bound")
    return {
        "probability": signals.get("verifier"),
        "threshold": signals.get("verifier_threshold"),
        # A bound that decided: the question with its substituted word put back was not encoded,
        # as no drift could have changed the answer (Matcher.match).
        "bound": None if bound is None else ("upper" if bound > 0 else "lower"),
        "signals": {k[2:]: round(v, 4) for k, v in signals.items() if k.startswith("v_")},
    }


def cmd_matching(service: ClaimService, args: argparse.Namespace) -> int:
    from bot.cli.fit import FitError, run_fit

    try:
        return run_fit(service, args)
    except FitError as exc:
        raise CliError(str(exc)) from None


def cmd_chat(service: ClaimService, args: argparse.Namespace) -> int:
    from adapters.terminal import TerminalChat

    TerminalChat(service, sys.stdin, sys.stdout, language=args.lang).run()
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
        media = f", media {report.media}" if report.media else ""  # photos and videos (MediaReview)
        print(
            f"{name}: added {report.added}, updated {report.updated}, skipped {report.skipped}, "
            f"errors {len(report.errors)}{media}"
        )
        failed = failed or report.failed
    return 1 if failed else 0


def cmd_index(service: ClaimService, args: argparse.Namespace) -> int:
    """Compute the missing sentence vectors, in batches (serving workers do it in the background too)."""
    if service.matcher.encoder is None:
        raise CliError("sentence embeddings are off (CLAIMBOT_SEMANTIC=false) or not installed")
    threads = args.threads if args.threads is not None else len(os.sched_getaffinity(0))
    if threads < 1:
        raise CliError("--threads must be at least 1")
    report = service.index_vectors(reencode=args.reencode, threads=threads)
    rate = f" ({report.per_second:.0f}/s)" if report.encoded else ""
    print(f"encoded {report.encoded} fact-checks in {report.seconds:.1f}s{rate}")
    generation = service.save_index()  # the files every process maps at start (none for PostgreSQL unset)
    if generation is not None:
        files = service.catalogue.index.files
        print(f"index files: {files.directory if files else ''}/{generation}")
    if report.dropped:
        print(f"dropped {report.dropped} vectors of other models")
    if report.awaiting_reencode:
        print(
            f"{report.awaiting_reencode} fact-checks have vectors of another model only: "
            "run `claimbot index --reencode` once to re-encode them"
        )
    return 0


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
        card = service.link(actor, args.id, args.fact_check, attach_media=attachment(args))
        print(f"Linked review item {args.id} to fact-check {card.id} ({card.verdict.value}: {card.claim}).")
        if args.attach_media:
            print(f"Attached the item's media to fact-check {card.id}: its copies are answered with it.")
    elif action == "verdict":
        card = service.write_verdict(actor, args.id, args.rating, args.summary, args.source, claim=args.claim)
        print(f"Verdict drafted as fact-check {card.id} ({card.verdict.value}); approve it to publish.")
    elif action == "approve":
        # Without --revision nothing is published: the draft is printed and its revision asked for, so
        # what gets published is what the moderator read (a draft can be rewritten at any time).
        result = service.approve(actor, args.id, args.revision, attach_media=attachment(args))
        if result.review_again:
            print(describe_draft(args.id, result.fact_check))
            raise CliError(
                f"not published: {result.waiting_for}; to publish the draft shown above, run "
                f"`claimbot review approve {args.id} --revision {result.fact_check.revision}"
                f"{attachment_flags(args)}`"
            )
        if result.published:
            print(f"Published fact-check {result.fact_check.id}; {result.notified} notification(s) queued.")
            if args.attach_media:
                print(f"Attached the item's media to fact-check {result.fact_check.id}.")
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
    from bot.exporters import audit_jsonl, claimreview_jsonld, mediareview_jsonld

    if getattr(args, "act_as", None):  # issue 8: acting as someone, even the public export is checked
        service.authorize(cli_actor(service.settings, args), "export", args.format)
    if args.format == "claimreview":
        json.dump(claimreview_jsonld(service.published()), sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif args.format == "mediareview":
        graph = mediareview_jsonld(service.published(), service.known_media())
        json.dump(graph, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        service.authorize(cli_actor(service.settings, args), "export", "audit")
        for line in audit_jsonl(service.audit_log(limit=args.limit)):
            print(line)
    return 0


def cmd_feedback(service: ClaimService, args: argparse.Namespace) -> int:
    """Votes on answers per fact-check, the most "not helpful" first, and the phrasings held back."""
    tallies = service.feedback_tallies(cli_actor(service.settings, args), args.limit)
    if args.json:
        print(json.dumps([dataclasses.asdict(t) for t in tallies], ensure_ascii=False))
        return 0
    if not tallies:
        print("No feedback on answers yet.")
    for t in tallies:
        print(
            f"#{t.fact_check_id} {t.claim}\n  helpful {t.up}, not helpful {t.down} "
            f"(wrong claim {t.wrong_claim}, outdated {t.outdated}, other {t.other})"
        )
        for phrasing in t.held_back:
            print(f"  held back for: {phrasing}")
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


def cmd_console_link(service: ClaimService, args: argparse.Namespace) -> int:
    """A single-use sign-in link to the web console, alone on one line (for scripts and for pasting)."""
    if not getattr(args, "act_as", None):
        raise CliError("say whose link it is: claimbot console-link --as PLATFORM:USER_ID")
    link = service.issue_console_link(cli_actor(service.settings, args))
    print(link.url)
    return 0


def cmd_serve(service: ClaimService, args: argparse.Namespace) -> int:
    if args.platform == "web":
        from adapters import web

        web.run(service, service.settings, listen=args.listen, port=args.port or 8080)
    elif args.platform == "telegram":
        if service.settings.telegram_bot_token is None:
            raise CliError("TELEGRAM_BOT_TOKEN is not set")
        from adapters import telegram

        telegram.run(
            service,
            service.settings,
            webhook_url=args.webhook_url,
            listen=args.listen,
            port=args.port or 8443,
        )
    else:
        if service.settings.discord_token is None:
            raise CliError("DISCORD_TOKEN is not set")
        from adapters import discord as discord_adapter

        discord_adapter.run(service, service.settings)
    return 0
