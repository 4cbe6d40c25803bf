"""The Discord adapter (discord.py): /check, the "Fact-check this" menu, embeds, pins, and /review.

Handlers are thin: parse the interaction, call the synchronous core in a worker thread, render the
core's Reply as an embed. Modules, by audience:

- `client`: the client's wiring (command tree, component dispatch, outbox), start-up; `serve`, `run`.
- `members`: /check, /forget, "Fact-check this", the answers' buttons.
- `moderators`: the /review command group and the review posts' buttons.
- `interactions`: how handlers answer (the client they reach, who acts, deferring, replying).
- `render`: pure rendering of replies and review items as embeds, buttons and selects.
- `messenger`: outbox delivery (DMs with a channel fallback, edits in place, review posts).

This package shares its name with the library: inside it, `import discord` is discord.py (imports are
absolute), and it is imported as `adapters.discord`.
"""

from adapters.discord.client import ClaimBot, run, serve
from adapters.discord.messenger import DiscordMessenger
from adapters.discord.render import escape, render_embed, render_review

__all__ = ["ClaimBot", "DiscordMessenger", "escape", "render_embed", "render_review", "run", "serve"]
