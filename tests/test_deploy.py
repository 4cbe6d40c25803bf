"""The deployment files (Dockerfile, compose.yaml, .env.example) against the code they run.

Docker is not needed: these tests check that what the image and compose would run exists in the
`claimbot` command and works outside a container, and that every setting is documented.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
# Variables .env.example may name that are not Settings fields: compose.yaml's own.
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_PUBLISH_PORT", "CONSOLE_PUBLISH_PORT"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = DOCKERFILE.read_text()
    kept = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    joined = re.sub(r"\\\n", " ", kept)
    out = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def exec_form(rest: str) -> list[str]:
    value = json.loads(rest)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), rest
    return value


def final_stage() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for keyword, rest in stages()[-1]:
        found.setdefault(keyword, []).append(rest)
    return found


def settings_aliases() -> set[str]:
    return {str(field.validation_alias) for field in Settings.model_fields.values()}


# ------------------------------------------------------------------------------------ Dockerfile


def test_dockerfile_is_multi_stage_on_python_311_slim() -> None:
    args = dict(rest.split("=", 1) for keyword, rest in dockerfile_instructions() if keyword == "ARG")
    assert args.get("PYTHON_IMAGE") == "python:3.11-slim"
    froms = [stage[0][1] for stage in stages()]
    assert len(froms) == 2
    assert froms[0] == "${PYTHON_IMAGE} AS builder"
    assert froms[1] == "${PYTHON_IMAGE}"


def test_builder_installs_the_package_from_files_that_exist() -> None:
    builder = stages()[0]
    copied = [
        source
        for keyword, rest in builder
        if keyword == "COPY" and not rest.startswith("--")
        for source in rest.split()[:-1]
    ]
    for name in copied:
        assert (ROOT / name).exists(), f"Dockerfile copies {name}, which is not in the repository"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= set(copied), "every package pyproject.toml ships must be copied into the builder"
    assert project["project"]["readme"] in copied
    runs = " ".join(rest for keyword, rest in builder if keyword == "RUN")
    assert re.search(r'pip install "?\.(\$\{CLAIMBOT_EXTRAS\})?"?( |$)', runs), runs


def test_final_stage_has_only_the_venv_and_runs_as_claimbot() -> None:
    final = final_stage()
    copies = final.get("COPY", [])
    assert copies == ["--from=builder /opt/claimbot /opt/claimbot"]
    runs = " ".join(final.get("RUN", []))
    # Tesseract is a runtime program (OCR of forwarded screenshots), the one package installed here.
    without_ocr = runs.replace("apt-get install -y --no-install-recommends tesseract-ocr", "")
    for tool in ("apt-get install", "gcc", "g++", "build-essential", "pip install"):
        assert tool not in without_ocr
    assert "useradd" in runs and "claimbot" in runs
    assert final["USER"] == ["claimbot"]
    assert final.get("WORKDIR")
    env = " ".join(final["ENV"])
    assert "CLAIMBOT_DATABASE_URL=sqlite:////data/claimbot.db" in env
    assert "PATH=/opt/claimbot/bin:$PATH" in env
    assert final["VOLUME"] == ['["/data"]']


def test_entrypoint_and_cmd_are_a_valid_claimbot_command() -> None:
    final = final_stage()
    assert exec_form(final["ENTRYPOINT"][-1]) == ["claimbot"]
    command = exec_form(final["CMD"][-1])
    assert command == ["serve", "telegram"]
    args = build_parser().parse_args(command)
    assert args.command == "serve" and args.platform == "telegram"


def test_healthcheck_runs_claimbot_healthcheck_which_works(tmp_path: Path, monkeypatch) -> None:
    final = final_stage()
    (healthcheck,) = final["HEALTHCHECK"]
    options, _, command = healthcheck.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = exec_form(command)
    assert argv[0] == "claimbot"
    assert build_parser().parse_args(argv[1:]).command == "healthcheck"
    # As in the image: the database comes from CLAIMBOT_DATABASE_URL (a file on the volume).
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLAIMBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'claimbot.db'}")
    assert main(argv[1:]) == 0
    assert (tmp_path / "data" / "claimbot.db").exists()


def test_healthcheck_fails_when_the_database_is_unreachable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLAIMBOT_DATABASE_URL", "postgresql://claimbot:x@127.0.0.1:1/claimbot")
    assert main(["healthcheck"]) != 0


def test_dockerignore_keeps_secrets_and_data_out_but_not_what_the_build_copies() -> None:
    patterns = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]
    for needed in (".git", ".env", "*.db", "benchmarks", "tests", "build", "*.egg-info"):
        assert needed in patterns, f".dockerignore should exclude {needed}"
    for copied in ("pyproject.toml", "README.md", "bot", "adapters", "store"):
        assert copied not in patterns


# ------------------------------------------------------------------------------------ .env.example


def env_example_names() -> dict[str, str]:
    """NAME -> example value of every `NAME=value` line, commented out or not."""
    names = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            names[match.group(1)] = match.group(2)
    return names


def test_env_example_names_every_setting() -> None:
    missing = settings_aliases() - set(env_example_names())
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_env_example_names_nothing_else() -> None:
    unknown = set(env_example_names()) - settings_aliases() - COMPOSE_ONLY
    assert not unknown, f".env.example names variables nothing reads: {sorted(unknown)}"


def test_env_example_leaves_tokens_empty_and_loads_as_is() -> None:
    names = env_example_names()
    for secret in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "DISCORD_TOKEN",
        "CLAIMBOT_FACTCHECK_API_KEY",
        "CLAIMBOT_ASKER_SALT",
    ):
        assert names[secret] == "", f"{secret} must be left empty in .env.example"
    # Used verbatim as a .env file it must not break start-up nor turn a token on.
    settings = Settings(_env_file=ENV_EXAMPLE)
    assert settings.telegram_bot_token is None and settings.discord_token is None
    assert settings.factcheck_api_key is None


def test_env_example_documents_each_setting() -> None:
    """Every NAME= line sits under a comment that says what it does (one comment may cover a pair)."""
    setting = re.compile(r"^#?\s?[A-Z][A-Z0-9_]*=")
    lines = ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if setting.match(line):
            j = i - 1
            while j >= 0 and setting.match(lines[j]):
                j -= 1
            assert j >= 0 and lines[j].startswith("# ") and len(lines[j]) > 10, line


# ------------------------------------------------------------------------------------ compose.yaml


@pytest.fixture(scope="module")
def compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(COMPOSE.read_text())


def interpolate(value: str) -> str:
    return re.sub(r"\$\{([A-Z_]+)(:?[-?][^}]*)?\}", lambda m: f"<{m.group(1)}>", value)


def test_compose_database_service(compose: dict) -> None:
    db = compose["services"]["db"]
    assert db["image"] == "postgres:15"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert set(compose["volumes"]) >= {v.split(":")[0] for v in db["volumes"]}


@pytest.mark.parametrize(
    "service, platform", [("telegram", "telegram"), ("discord", "discord"), ("web", "web")]
)
def test_compose_workers_run_valid_commands_on_postgres(compose: dict, service: str, platform: str) -> None:
    worker = compose["services"][service]
    argv = [interpolate(str(part)) for part in worker["command"]]
    args = build_parser().parse_args(argv)
    assert args.command == "serve" and args.platform == platform
    if platform == "telegram":
        assert args.webhook_url == "<TELEGRAM_WEBHOOK_URL>"
        assert (args.listen, args.port) == ("0.0.0.0", 8443)
    if platform == "web":  # issue 17: the console beside the chat workers, published on its port
        assert (args.listen, args.port) == ("0.0.0.0", 8080)
        assert worker["ports"] == ["${CONSOLE_PUBLISH_PORT:-8080}:8080"]
    url = worker["environment"]["CLAIMBOT_DATABASE_URL"]
    assert url.startswith("postgresql://claimbot:") and url.endswith("@db:5432/claimbot")
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["restart"] == "unless-stopped"
    assert worker["env_file"] == ".env"


def test_compose_migrate_runs_once_before_the_workers(compose: dict) -> None:
    migrate = compose["services"]["migrate"]
    assert build_parser().parse_args(migrate["command"]).command == "healthcheck"
    assert migrate["restart"] == "no"


def test_compose_variables_are_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text()))
    assert used <= set(env_example_names()), sorted(used - set(env_example_names()))
