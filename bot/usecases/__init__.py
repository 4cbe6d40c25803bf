"""The core's use cases, one module each; `bot.service.ClaimService` wires them (docs/architecture.md).

Each use case takes plain arguments, opens its own unit of work (`store.db.session_scope`) and
returns domain values (`bot.domain`). This package's own `__init__` imports nothing, so importing one
use case never drags in its siblings.
"""
