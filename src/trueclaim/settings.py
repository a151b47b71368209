"""All service settings: one pydantic-settings class, read from ``TRUECLAIM_*`` variables.

Built by ``create_app()``, the CLI and the worker entry point, then passed down; never at
import time. The forensics core never reads settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from trueclaim.adapters.sql.engine import normalize_database_url

_DEV_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    """Service configuration. Every field is ``TRUECLAIM_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TRUECLAIM_", extra="forbid", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("trueclaim-data")
    database_url: str = ""  # default: SQLite file in data_dir
    database_schema: str | None = None  # PostgreSQL schema (search_path), e.g. per test run
    secret_key: str = _DEV_SECRET  # keys the buyer-id hashes; must be set in production

    media_backend: Literal["local", "s3"] = "local"
    media_dir: Path | None = None  # default: data_dir / "media"
    s3_bucket: str = "trueclaim"
    s3_prefix: str = "blobs/"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None

    queue_backend: Literal["inline", "celery"] = "inline"
    redis_url: str = "redis://127.0.0.1:6379/0"
    celery_queue: str = "trueclaim"
    worker_threads: int = Field(default=2, ge=1, le=64)
    job_max_retries: int = Field(default=5, ge=0, le=100)
    job_retry_backoff_s: float = Field(default=2.0, ge=0)
    celery_visibility_timeout_s: int = Field(default=3600, ge=1)
    job_pause_s: float = Field(default=0.0, ge=0)  # test hook: sleep before saving a report
    timer_interval_s: float = Field(default=60.0, gt=0)
    job_stall_s: float = Field(default=600.0, gt=0)  # re-queue a claim's lost job after this

    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    max_files_per_request: int = Field(default=10, ge=1)
    allowed_content_types: tuple[str, ...] = (
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/tiff",
        "image/bmp",
        "image/gif",
        "video/mp4",
        "application/pdf",
    )
    engine_ocr: bool = True

    auto_approve_max_risk: float = Field(default=0.2, ge=0, le=1)
    auto_approve_max_amount_minor: int = Field(default=10_000, ge=0)
    max_recent_claims: int = Field(default=5, ge=0)
    max_confirmed_forgeries: int = Field(default=0, ge=0)
    merchant_response_window_h: float = Field(default=48.0, gt=0)
    review_sla_h: float = Field(default=24.0, gt=0)
    more_evidence_window_h: float = Field(default=72.0, gt=0)
    max_appeals: int = Field(default=1, ge=0)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @model_validator(mode="after")
    def _check_unsafe_defaults(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == _DEV_SECRET:
                raise ValueError(
                    "TRUECLAIM_SECRET_KEY is the development default; set a random "
                    "secret (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)."
                )
            if self.job_pause_s:
                raise ValueError("TRUECLAIM_JOB_PAUSE_S is a test hook; unset it in production.")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'trueclaim.db').resolve()}"

    @property
    def effective_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"
