"""The moderators' web console (issue 17): `claimbot serve web`. See adapters/web/app.py."""

from adapters.web.app import build_app, run

__all__ = ["build_app", "run"]
