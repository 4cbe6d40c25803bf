"""The repository carries what its tests need, and CI runs the test command the README gives."""

from __future__ import annotations

import re

from tests.conftest import ROOT, SEED


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [
        line.strip()
        for block in re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
        for line in block.splitlines()
    ]
    [test_command] = [c for c in commands if '".[test]"' in c]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert test_command in ci_lines


def test_test_data_ships_with_the_repository() -> None:
    assert SEED.read_text(encoding="utf-8").startswith("Did a NYC cop arrest an ice agent\n")
    checkthat = ROOT / "benchmarks" / "data" / "checkthat2022-2a-en"
    for name in (
        "README.md",
        "LICENSE",
        "vclaims.jsonl",
        "train.qrels.tsv",
        "dev.queries.tsv",
        "test.qrels.tsv",
    ):
        assert (checkthat / name).is_file(), name
    assert "CC BY-SA 3.0 DE" in (checkthat / "LICENSE").read_text(encoding="utf-8")
