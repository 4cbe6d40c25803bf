"""`python -m bot.cli`: the `claimbot` command."""

import sys

from bot.cli import main

sys.exit(main())
