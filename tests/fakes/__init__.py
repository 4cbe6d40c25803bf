"""Loopback fakes of chat platforms (telegram_api, discord_api), driven over real HTTP
by the platforms' own libraries.

Import the one you need, e.g. ``from tests.fakes.telegram_api import FakeTelegramAPI``.
"""

# Every wait for the bot in the fakes and harnesses lasts at least this long before the test fails.
# Such waits guard against a hang; they are not timing checks (benchmarks/ measure time), and a
# machine shared by many test runs can be many times slower than a quiet one.
PATIENCE = 60.0


def patient(timeout: float) -> float:
    """The time to wait for something that must happen: `timeout`, but never less than PATIENCE."""
    return max(timeout, PATIENCE)
