"""Serving metrics: one worker's Prometheus counters in the text exposition format (no client library
needed), and the database health check behind /healthz."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from store.models import FactCheck

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.questions: Counter[str] = Counter()
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self._bucket_counts = [0] * len(LATENCY_BUCKETS)
        self._latency_sum = 0.0
        self._latency_count = 0

    def observe(self, platform: str, outcome: str, seconds: float) -> None:
        with self._lock:
            self.questions[platform] += 1
            self.outcomes[(platform, outcome)] += 1
            self._latency_sum += seconds
            self._latency_count += 1
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self._bucket_counts[index] += 1

    def render(self, gauges: dict[str, tuple[str, Callable[[], float]]]) -> str:
        """The exposition text; `gauges` are read at scrape time (name -> (help, reader))."""
        lines = [
            "# HELP claimbot_questions_total Questions received.",
            "# TYPE claimbot_questions_total counter",
        ]
        with self._lock:
            lines += [
                f'claimbot_questions_total{{platform="{p}"}} {n}' for p, n in sorted(self.questions.items())
            ]
            lines += [
                "# HELP claimbot_outcomes_total Questions by outcome.",
                "# TYPE claimbot_outcomes_total counter",
            ]
            lines += [
                f'claimbot_outcomes_total{{platform="{p}",outcome="{o}"}} {n}'
                for (p, o), n in sorted(self.outcomes.items())
            ]
            lines += [
                "# HELP claimbot_ask_seconds Time to match and decide one question.",
                "# TYPE claimbot_ask_seconds histogram",
            ]
            lines += [
                f'claimbot_ask_seconds_bucket{{le="{bound}"}} {count}'
                for bound, count in zip(LATENCY_BUCKETS, self._bucket_counts, strict=True)
            ]
            lines += [
                f'claimbot_ask_seconds_bucket{{le="+Inf"}} {self._latency_count}',
                f"claimbot_ask_seconds_sum {self._latency_sum:.6f}",
                f"claimbot_ask_seconds_count {self._latency_count}",
            ]
        for name, (help_text, reader) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {reader()}"]
        return "\n".join(lines) + "\n"


def database_healthy(engine: Engine) -> bool:
    """The database answers a trivial query."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(FactCheck)).one() >= 0
