"""One settings object for the whole bot: environment variables and a `.env` file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import N_

# In the catalogs: replies show it in the asker's language (a deployment's own disclaimer is shown as set).
DEFAULT_DISCLAIMER = N_(
    "ClaimBot can make mistakes. Please verify important information or breaking news "
    "with the linked sources."
)


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("claimbot", appauthor=False))
    return f"sqlite:///{data_dir / 'claimbot.db'}"


def default_verifier_weights() -> Path:
    return Path(platformdirs.user_data_dir("claimbot", appauthor=False)) / "verifier.json"


class Settings(BaseSettings):
    """Every setting the bot reads; tokens are secrets and never printed or logged."""

    # An empty variable (TELEGRAM_MODERATOR_CHAT=) means unset, as in .env.example, not an invalid value.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = Field(default_factory=default_database_url, validation_alias="CLAIMBOT_DATABASE_URL")
    disclaimer: str = Field(DEFAULT_DISCLAIMER, validation_alias="CLAIMBOT_DISCLAIMER")
    community: str = Field("default", validation_alias="CLAIMBOT_COMMUNITY")
    publisher_name: str = Field("ClaimBot moderators", validation_alias="CLAIMBOT_PUBLISHER")
    # Fill a new, empty database with the bundled starter fact-checks (bot/data/starter.jsonl).
    starter: bool = Field(True, validation_alias="CLAIMBOT_STARTER")

    # Matching thresholds: scores are calibrated to [0, 1]; see bot/matching/thresholds.py for the figures.
    # Sentence embeddings (ONNX all-MiniLM-L6-v2, installed by default), stored with each fact-check
    # revision; false matches lexically only (tiny machines) and never loads onnxruntime.
    semantic: bool = Field(True, validation_alias="CLAIMBOT_SEMANTIC")
    # Batch encoding (`claimbot index`, a serving worker's background encoder): texts per model call
    # and onnxruntime threads (see benchmarks/embeddings.py for the figures behind the defaults).
    embed_batch_size: int = Field(16, ge=1, le=1024, validation_alias="CLAIMBOT_EMBED_BATCH_SIZE")
    embed_threads: int = Field(1, ge=1, le=64, validation_alias="CLAIMBOT_EMBED_THREADS")
    # The match index kept as memory-mapped files that every process of the database shares, so a
    # process starts without reading every fact-check (bot/usecases/match_index.py): beside a SQLite
    # file by default (`claimbot.db.index/`), in this directory when set (PostgreSQL needs it set).
    index_files: bool = Field(True, validation_alias="CLAIMBOT_INDEX_FILES")
    index_dir: Path | None = Field(None, validation_alias="CLAIMBOT_INDEX_DIR")
    answer_threshold: float | None = Field(None, validation_alias="CLAIMBOT_ANSWER_THRESHOLD")
    suggest_threshold: float | None = Field(None, validation_alias="CLAIMBOT_SUGGEST_THRESHOLD")
    # The verifier's weights as refitted by `claimbot matching fit`; unset, the weights shipped in
    # bot/matching/verifier.json. Named explicitly so that no stray file changes what is answered.
    verifier_weights: Path | None = Field(None, validation_alias="CLAIMBOT_VERIFIER_WEIGHTS")

    # Review workflow
    require_second_approval: bool = Field(False, validation_alias="CLAIMBOT_REQUIRE_SECOND_APPROVAL")
    cluster_threshold: float = Field(0.72, validation_alias="CLAIMBOT_CLUSTER_THRESHOLD")
    # Telegram's message size: a pasted article or a forward is read sentence by sentence.
    max_question_chars: int = Field(4096, validation_alias="CLAIMBOT_MAX_QUESTION_CHARS")
    # Queue an unmatched claim for review at once, instead of asking the asker first.
    auto_queue: bool = Field(False, validation_alias="CLAIMBOT_AUTO_QUEUE")
    asker_salt: SecretStr = Field(SecretStr("claimbot-default-salt"), validation_alias="CLAIMBOT_ASKER_SALT")
    questions_per_minute: int = Field(6, validation_alias="CLAIMBOT_QUESTIONS_PER_MINUTE")
    chat_questions_per_minute: int = Field(30, validation_alias="CLAIMBOT_CHAT_QUESTIONS_PER_MINUTE")
    # A worker that dies mid-delivery frees its notification after this long; a live one renews the
    # lease every third of it while a send lasts.
    outbox_lease_seconds: float = Field(60, gt=0, validation_alias="CLAIMBOT_OUTBOX_LEASE_SECONDS")
    # A redelivered event whose first attempt stored it but never replied is answered after this long.
    resume_after_seconds: float = Field(30, validation_alias="CLAIMBOT_RESUME_AFTER_SECONDS")
    # --- several workers (issue 7) ---
    # How often a worker delivers due notifications and polls for fact-checks changed elsewhere
    # (on PostgreSQL, LISTEN/NOTIFY brings changes in at once; polling is the fallback).
    outbox_interval_seconds: float = Field(1.0, gt=0, validation_alias="CLAIMBOT_OUTBOX_INTERVAL_SECONDS")
    # Serve GET /healthz and GET /metrics (Prometheus) on this port; the Telegram webhook server
    # serves them on its own port as well.
    metrics_port: int | None = Field(None, ge=0, le=65535, validation_alias="CLAIMBOT_METRICS_PORT")
    metrics_listen: str = Field("0.0.0.0", validation_alias="CLAIMBOT_METRICS_LISTEN")
    # --- end several workers ---
    retention_days: int = Field(90, validation_alias="CLAIMBOT_RETENTION_DAYS")

    # Telegram
    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(None, validation_alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_secret: SecretStr | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_moderators: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="TELEGRAM_MODERATORS"
    )
    telegram_moderator_chat: int | None = Field(None, validation_alias="TELEGRAM_MODERATOR_CHAT")

    # Discord
    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    discord_api_base_url: str | None = Field(None, validation_alias="DISCORD_API_BASE_URL")
    discord_moderator_role: str = Field("Fact-check moderator", validation_alias="DISCORD_MODERATOR_ROLE")
    discord_review_channel: int | None = Field(None, validation_alias="DISCORD_REVIEW_CHANNEL")
    discord_guilds: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="DISCORD_GUILDS"
    )
    # The community's servers: the moderator role and moderator grants count there and nowhere else.
    # Empty: DISCORD_GUILDS, else the server of DISCORD_REVIEW_CHANNEL (none: nobody moderates from Discord).
    discord_moderator_guilds: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="DISCORD_MODERATOR_GUILDS"
    )

    # --- the moderators' web console (issue 17: adapters/web/, `claimbot serve web`) ---
    # The console's public address, as moderators' browsers reach it: sign-in links start with it.
    console_url: str = Field("http://127.0.0.1:8080", validation_alias="CLAIMBOT_CONSOLE_URL")
    # Signs the session and CSRF cookies. Unset: a random one per process (sessions end at a restart
    # and several console processes would not share them); set your own long random value.
    console_secret: SecretStr | None = Field(None, validation_alias="CLAIMBOT_CONSOLE_SECRET")
    # A sign-in link works once, for this many minutes.
    console_link_minutes: int = Field(10, ge=1, le=60, validation_alias="CLAIMBOT_CONSOLE_LINK_MINUTES")
    # A session ends this many hours after sign-in, however active (a removed grant or role then counts).
    console_session_hours: float = Field(12, gt=0, le=168, validation_alias="CLAIMBOT_CONSOLE_SESSION_HOURS")
    # Largest file the console's import takes (bytes of the whole upload).
    console_upload_bytes: int = Field(
        5 * 2**20, ge=1024, le=2**30, validation_alias="CLAIMBOT_CONSOLE_UPLOAD_BYTES"
    )
    # --- end web console ---

    # Outside sources
    factcheck_api_key: SecretStr | None = Field(None, validation_alias="CLAIMBOT_FACTCHECK_API_KEY")
    factcheck_api_url: str = Field(
        "https://factchecktools.googleapis.com/v1alpha1", validation_alias="CLAIMBOT_FACTCHECK_API_URL"
    )
    # --- outside sources over HTTP (issue 9: bot/external.py, bot/importers/web.py, bot/sources.py) ---
    # claims:search must answer within this many seconds (total), or the asker gets the local outcome.
    factcheck_timeout: float = Field(2.0, gt=0, validation_alias="CLAIMBOT_FACTCHECK_TIMEOUT")
    factcheck_language: str | None = Field(None, validation_alias="CLAIMBOT_FACTCHECK_LANGUAGE")
    factcheck_max_age_days: int | None = Field(None, gt=0, validation_alias="CLAIMBOT_FACTCHECK_MAX_AGE_DAYS")
    factcheck_page_size: int = Field(10, ge=1, le=50, validation_alias="CLAIMBOT_FACTCHECK_PAGE_SIZE")
    # Saved feeds are synced this often by the serving process (`claimbot sources sync` runs once).
    sources_sync_minutes: float = Field(60, gt=0, validation_alias="CLAIMBOT_SOURCES_SYNC_MINUTES")
    # Empty: "ClaimBot/<version> (+https://github.com/claimbot)".
    http_user_agent: str | None = Field(None, validation_alias="CLAIMBOT_HTTP_USER_AGENT")
    http_timeout: float = Field(10, gt=0, validation_alias="CLAIMBOT_HTTP_TIMEOUT")  # per web request
    # All of one document (every redirect hop, the whole body) must arrive within this many seconds:
    # a server dripping a byte at a time never trips the per-read timeout above.
    http_deadline: float = Field(60, gt=0, validation_alias="CLAIMBOT_HTTP_DEADLINE")
    # Hosts (names or addresses, comma separated) fetched although they are internal: loopback,
    # private, link-local and reserved addresses are refused otherwise. For an in-house publisher or
    # tests; a name is allowed as written, not the addresses it resolves to.
    http_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="CLAIMBOT_HTTP_ALLOW_HOSTS"
    )
    crawl_page_limit: int = Field(200, ge=1, validation_alias="CLAIMBOT_CRAWL_PAGE_LIMIT")
    crawl_concurrency: int = Field(4, ge=1, le=16, validation_alias="CLAIMBOT_CRAWL_CONCURRENCY")
    # --- end outside sources ---

    @field_validator("telegram_moderators", "discord_guilds", "discord_moderator_guilds", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # Environment variables hold "1,2,3"; pydantic-settings would expect JSON.
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("http_allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @cached_property
    def is_default_database(self) -> bool:
        return self.database_url == default_database_url()


def load_settings(**overrides: object) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
