"""`claimbot factchecks list|search|show|rate`: the stored catalogue, findable by moderators at the
terminal, and a verdict for an unrated fact-check.

Each subcommand is added to the `factchecks` group by `add_browse_commands` and names its own handler,
so another subcommand joins the group with a parser and a handler of its own.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.commands import CliError, cli_actor
from bot.domain import CataloguePage, FactCheckCard, FactCheckDetail, SearchHit
from bot.replies import checked_line, short_summary
from bot.service import ClaimService

FILTERS = "status: draft, published, retracted or all; verdict: a label such as False or 'Mostly true'"


def add_browse_commands(actions: Any, common: argparse.ArgumentParser) -> None:
    """`list`, `search` and `show` in the `factchecks` group (`actions` is its subparsers object)."""
    listing = actions.add_parser("list", parents=[common], help="stored fact-checks, newest first")
    listing.add_argument(
        "--limit", type=int, default=20, help="fact-checks per page (default 20, at most 200)"
    )
    where = listing.add_mutually_exclusive_group()
    where.add_argument("--offset", type=int, default=0, help="skip this many fact-checks")
    where.add_argument("--page", type=int, default=None, help="page number, from 1 (pages of --limit)")
    listing.add_argument("--status", default=None, help="draft, published, retracted or all (default all)")
    listing.add_argument("--verdict", default=None, help="a verdict label, e.g. False or 'Mostly true'")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_factchecks_list)

    search = actions.add_parser(
        "search", parents=[common], help="find fact-checks by words (match index, then stored text)"
    )
    search.add_argument("query", nargs="+", help="words of the claim, title, URL or an alias")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--status", default=None, help="default: any (the match index holds published ones)")
    search.add_argument("--verdict", default=None)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=cmd_factchecks_search)

    show = actions.add_parser("show", parents=[common], help="one fact-check in full, with its aliases")
    show.add_argument("id", type=str, help="the fact-check's id (#12 or 12)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_factchecks_show)


def add_rate(actions: Any, common: argparse.ArgumentParser) -> None:
    rate = actions.add_parser("rate", parents=[common], help="give an unrated fact-check its verdict")
    rate.add_argument("id", type=int, help="the fact-check's id")
    rate.add_argument("verdict", help="False, Mostly false, Misleading, … True (the verdict scale)")
    rate.set_defaults(handler=cmd_rate)


def cmd_rate(service: ClaimService, args: argparse.Namespace) -> int:
    card = service.rate(cli_actor(service.settings, args), args.id, args.verdict)
    print(f"Rated fact-check {card.id} {card.verdict.icon} {card.verdict.value}: {card.title or card.claim}")
    return 0


def add_starter_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """`claimbot starter remove`: withdraw the bundled starter set."""
    starter = commands.add_parser("starter", parents=[common], help="the bundled starter fact-checks")
    actions = starter.add_subparsers(dest="starter_action", required=True, metavar="ACTION")
    remove = actions.add_parser(
        "remove", parents=[common], help="withdraw them (answers already sent are edited to say so)"
    )
    remove.set_defaults(handler=cmd_starter_remove)


def cmd_starter_remove(service: ClaimService, args: argparse.Namespace) -> int:
    withdrawn = service.remove_starter(cli_actor(service.settings, args))
    if not withdrawn:
        print("No starter fact-checks are published; nothing to remove.")
        return 0
    ids = ", ".join(f"#{i}" for i in withdrawn)
    print(
        f"Withdrew {len(withdrawn)} starter fact-check(s): {ids}. They are no longer answered; "
        "answers already sent are edited to say so."
    )
    return 0


def card_json(card: FactCheckCard) -> dict[str, object]:
    return {
        "id": card.id,
        "url": card.url,
        "claim": card.claim,
        "title": card.title,
        "verdict": card.verdict.value,
        "rating_text": card.rating_text,
        "date": card.checked_at.isoformat() if card.checked_at else None,
        "publisher": card.publisher,
        "status": card.status,
        "revision": card.revision,
        "origin": card.origin,
    }


def card_line(card: FactCheckCard) -> str:
    """`#12 ❌ False · 2026-02-02 · AFP · https://… [draft]`, then the claim indented below."""
    parts = [f"#{card.id} {card.verdict.icon} {card.verdict.value}"]
    parts.append(f"{card.checked_at:%Y-%m-%d}" if card.checked_at else "no date")
    parts.append(card.publisher or "no publisher")
    parts.append(card.url)
    state = f" [{card.status}]" if card.status != "published" else ""
    return " · ".join(parts) + state + "\n    " + short_summary(card.claim or card.title, 160)


def render_page(page: CataloguePage, args: argparse.Namespace) -> str:
    if not page.items:
        return "No fact-checks." if page.total == 0 else f"No fact-checks past {page.offset} of {page.total}."
    lines = [card_line(card) for card in page.items]
    first, last = page.offset + 1, page.offset + len(page.items)
    footer = f"Fact-checks {first}–{last} of {page.total}."
    if last < page.total:
        page_number = page.offset // page.limit + 2
        filters = "".join(
            f" --{name} {json.dumps(value) if ' ' in value else value}"
            for name, value in (("status", args.status), ("verdict", args.verdict))
            if value
        )
        footer += f" Next: claimbot factchecks list --limit {page.limit} --page {page_number}{filters}"
    return "\n".join([*lines, footer])


def render_hits(query: str, hits: list[SearchHit]) -> str:
    if not hits:
        return f"No fact-check found for {query!r}. Try fewer or other words."
    lines = []
    for hit in hits:
        how = f"score {hit.score:.2f}" if hit.score is not None else "text match"
        lines.append(f"{card_line(hit.fact_check)}\n    ({how})")
    lines.append("Link one to a review item with: claimbot review link ITEM FACT_CHECK_ID")
    return "\n".join(lines)


def render_detail(detail: FactCheckDetail) -> str:
    card = detail.card
    lines = [
        f"Fact-check #{card.id} [{card.status}, revision {card.revision}, origin {card.origin}]",
        f"Claim: {card.claim}",
    ]
    if card.title and card.title != card.claim:
        lines.append(f"Title: {card.title}")
    verdict = f"Verdict: {card.verdict.icon} {card.verdict.value}"
    if card.rating_text and card.rating_text.lower() != card.verdict.value.lower():
        verdict += f" (publisher's words: {card.rating_text})"
    if not card.rating_confirmed:
        verdict += " (derived automatically, not confirmed)"
    lines.append(verdict)
    if card.summary:
        lines.append(f"Summary: {card.summary}")
    lines.append(checked_line(card) or "No date or publisher given.")
    lines.append(f"URL: {card.url}")
    if card.sources:
        lines.append("Sources:")
        lines += [
            f"  {n}. {' '.join(p for p in (s.outlet, s.title, s.url or '') if p)}"
            for n, s in enumerate(card.sources, 1)
        ]
    lines.append(f"Aliases ({len(detail.aliases)}):" if detail.aliases else "Aliases: none")
    lines += [f"  - {alias}" for alias in detail.aliases]
    lines.append(f"Stored {detail.created_at} UTC, last changed {detail.updated_at} UTC.")
    return "\n".join(lines)


def cmd_factchecks_list(service: ClaimService, args: argparse.Namespace) -> int:
    if args.page is not None and args.page < 1:
        raise CliError("--page counts from 1")
    offset = (args.page - 1) * args.limit if args.page is not None else args.offset
    page = service.factcheck_page(
        cli_actor(service.settings, args),
        status=args.status,
        verdict=args.verdict,
        limit=args.limit,
        offset=offset,
    )
    if args.json:
        payload = {
            "total": page.total,
            "offset": page.offset,
            "limit": page.limit,
            "items": [card_json(c) for c in page.items],
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(render_page(page, args))
    return 0


def cmd_factchecks_search(service: ClaimService, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    actor = cli_actor(service.settings, args)
    service.authorize(actor, "factchecks", "search")  # refused before the index is built
    service.load_index()  # this command alone of the group needs the match index
    hits = service.find_factchecks(actor, query, status=args.status, verdict=args.verdict, limit=args.limit)
    if args.json:
        results = [
            card_json(h.fact_check)
            | {"score": None if h.score is None else round(h.score, 4), "found_by": h.found_by}
            for h in hits
        ]
        print(json.dumps({"query": query, "results": results}, ensure_ascii=False))
    else:
        print(render_hits(query, hits))
    return 0


def cmd_factchecks_show(service: ClaimService, args: argparse.Namespace) -> int:
    raw = args.id.strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 18:
        raise CliError(f"a fact-check id is a number, not {args.id!r}")
    detail = service.factcheck_detail(cli_actor(service.settings, args), int(raw))
    if args.json:
        payload = card_json(detail.card) | {
            "summary": detail.card.summary,
            "rating_confirmed": detail.card.rating_confirmed,
            "sources": [{"outlet": s.outlet, "title": s.title, "url": s.url} for s in detail.card.sources],
            "aliases": list(detail.aliases),
            "body": detail.body,
            "created_at": detail.created_at,
            "updated_at": detail.updated_at,
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(render_detail(detail))
    return 0
