"""Loopback fakes of chat platforms (telegram_api, discord_api), driven over real HTTP
by the platforms' own libraries.

Import the one you need, e.g. ``from tests.fakes.telegram_api import FakeTelegramAPI``.
"""
