"""The verdict scale lives in `bot.domain.ratings`; this name stays for adapter code not yet moved over."""

from bot.domain.ratings import Verdict, parse_verdict, verdict_from_numeric

__all__ = ["Verdict", "parse_verdict", "verdict_from_numeric"]
