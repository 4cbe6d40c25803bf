"""The layer rules of docs/architecture.md hold: import-linter checks the contracts in pyproject.toml."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import bot
from tests.conftest import ROOT

PYPROJECT = ROOT / "pyproject.toml"


def test_imports_keep_the_layer_contracts() -> None:
    # The command line in a process of its own: it configures logging, which would reach the other tests.
    linter = Path(sys.executable).with_name("lint-imports")
    command = [str(linter), "--no-cache", "--no-logo", str(PYPROJECT)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr  # names each broken contract's import chain


def test_every_module_of_the_core_sits_in_a_layer() -> None:
    """A module missing from the layers contract would escape it: bot/newthing.py could import an adapter."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    [layers] = [contract["layers"] for contract in config["contracts"] if contract["type"] == "layers"]
    named = {name.strip() for layer in layers for name in re.split(r"[:|]", layer)}
    modules = {f"bot.{module.name}" for module in pkgutil.iter_modules(bot.__path__)}
    assert modules <= named, f"add {sorted(modules - named)} to a layer in pyproject.toml"
