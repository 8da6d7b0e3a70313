"""One settings object for the whole app, read from `POPCON_*` environment variables.

Built once by the entry point (CLI or web factory) and passed down; nothing reads the
environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POPCON_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("popcon-data"), description="Where jobs, frames and exports live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite inside data_dir."
    )

    # Provider names as registered (popcon.providers.registry); an unknown one is refused, naming the
    # registered ones, when the runner is made. No list here: a new provider needs no settings edit.
    image_provider: str = Field(default="offline", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    video_provider: str = Field(default="offline", pattern=r"^[a-z0-9][a-z0-9_-]*$")

    workers: int = Field(default=2, ge=1, le=32, description="Threads of the embedded worker pool.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries of a transient stage error.")
    retry_base_delay: float = Field(default=0.5, ge=0.0, description="First backoff delay in seconds.")

    max_upload_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(default=40_000_000, ge=10_000)
    max_json_bytes: int = Field(default=256 * 1024, ge=1024)  # JSON request bodies (clicks, exports)

    clip_fps: int = Field(default=24, ge=8, le=60, description="Frame rate of procedural clips.")
    clip_size: int = Field(default=512, ge=256, le=2048, description="Side of procedural clips in px.")

    sam_weights: Path | None = None

    api_token: SecretStr | None = Field(
        default=None,
        repr=False,
        description="When set, every /api/ call needs it (`Authorization: Bearer <token>`; the page asks "
        "once). `popcon serve` on a non-loopback host refuses to start without one (or --no-auth).",
    )

    # ---- cloud providers (issue 6). Keys are secrets: read from the environment, never printed. ----
    dashscope_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("dashscope_api_key", "POPCON_DASHSCOPE_API_KEY", "DASHSCOPE_API_KEY"),
        repr=False,
    )
    dashscope_base_url: str = Field(
        default="https://dashscope-intl.aliyuncs.com",
        description="Region host; key, model and host must match (intl = Singapore, us = Virginia, "
        "dashscope.aliyuncs.com = Beijing).",
    )
    dashscope_video_model: str = Field(default="wan2.2-i2v-flash", description="Wan image-to-video model.")
    dashscope_resolution: Literal["480P", "720P", "1080P"] | None = Field(
        default=None,
        description="Clip resolution; unset: the model's lowest (each model accepts only some, checked "
        "before any request).",
    )
    dashscope_region: Literal["singapore", "virginia", "beijing"] | None = Field(
        default=None,
        description="The region the key bills in (prices and currency); unset: from the base URL's host.",
    )
    dashscope_duration: int | None = Field(
        default=None, ge=2, le=15, description="Clip seconds for models with a duration choice (wan2.6)."
    )
    dashscope_t2i_model: str = "wan2.2-t2i-flash"
    dashscope_edit_model: str = "qwen-image-edit-plus"
    video_seed: int | None = Field(default=None, ge=0, le=2_147_483_647, description="Fixed seed, or random.")

    gemini_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "gemini_api_key", "POPCON_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"
        ),
        repr=False,
    )
    gemini_base_url: str = "https://generativelanguage.googleapis.com"
    gemini_image_model: str = Field(
        default="gemini-3.1-flash-image",
        description="Gemini image model (GA since 28 May 2026; gemini-2.5-flash-image was shut down on "
        "2 Oct 2026). `popcon providers --check` asks the service whether the key can use it.",
    )
    gemini_transport: Literal["rest", "sdk"] = Field(
        default="rest", description="REST over httpx, or the google-genai SDK (extra `popcon[gemini]`)."
    )

    video_concurrency: int = Field(
        default=2, ge=1, le=32, description="Concurrent video tasks per provider, shared by all jobs."
    )
    image_concurrency: int = Field(default=4, ge=1, le=32, description="Concurrent image calls per provider.")
    http_timeout: float = Field(default=60.0, gt=0, description="Seconds per HTTP request (connect / read).")
    http_retries: int = Field(default=4, ge=0, le=10, description="Retries of a 429 / 5xx / dropped request.")
    http_backoff_base: float = Field(default=1.0, ge=0.0, description="First HTTP retry delay in seconds.")
    http_backoff_max: float = Field(default=30.0, ge=0.0, description="Cap of one HTTP retry delay.")
    poll_interval: float = Field(default=3.0, gt=0, description="First wait between task polls (s).")
    poll_interval_max: float = Field(default=15.0, gt=0, description="Cap of the wait between task polls.")
    task_timeout: float = Field(default=900.0, gt=0, description="Give up on a cloud task after this long.")
    dashscope_lookup_settle: float = Field(
        default=10.0,
        ge=0.0,
        description="Seconds after an unanswered task create before the task list is taken to be complete.",
    )
    max_download_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)

    # ---- distributed mode (issue 7): Celery workers on Redis, sharing data_dir and the database ----
    queue: Literal["embedded", "celery"] = Field(
        default="embedded", description="Run jobs in this process, or enqueue them for `popcon worker`s."
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Celery broker and shared limits.")
    celery_visibility_timeout: float = Field(
        default=900.0,
        ge=2.0,
        description="Seconds before a task a dead worker took is delivered again (redelivery to a live "
        "worker's action is harmless: it waits on the action lease).",
    )
    action_lease_seconds: float = Field(
        default=30.0, ge=1.0, description="A worker's claim on an action; renewed every third of it."
    )

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'popcon.db').resolve()}"
