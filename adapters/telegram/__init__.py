"""The Telegram adapter (python-telegram-bot 22): DMs, groups, pinned answers, inline mode, moderators.

It turns Telegram updates into the core's nouns, calls `ClaimService` in a worker thread and renders
the core's Reply; no matching or workflow logic lives here. Modules, by audience:

- `app`: the Application's wiring (bot, handlers, error handler), start-up and shutdown; `serve`, `run`.
- `members`: questions in DMs and groups, /help, /forget, /pin, the answers' buttons.
- `inline`: inline mode (`@bot <claim>` in any chat).
- `moderators`: the review commands and the review items' buttons.
- `chat`: what every handler shares (service, settings, who asks or acts, asking and replying).
- `render`: pure rendering of replies to Telegram HTML and inline keyboards.
- `messenger`: outbox delivery (notifications, edits in place, review items).
"""

from adapters.telegram.app import build_application, make_bot, run, running, serve
from adapters.telegram.messenger import TelegramMessenger

__all__ = ["TelegramMessenger", "build_application", "make_bot", "run", "running", "serve"]
