"""One settings object for the whole app, read from `POPCON_*` environment variables.

Built once by the entry point (CLI or web factory) and passed down; nothing reads the
environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POPCON_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("popcon-data"), description="Where jobs, frames and exports live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite inside data_dir."
    )

    image_provider: Literal["offline"] = "offline"
    video_provider: Literal["offline"] = "offline"

    workers: int = Field(default=2, ge=1, le=32, description="Threads of the embedded worker pool.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries of a transient stage error.")
    retry_base_delay: float = Field(default=0.5, ge=0.0, description="First backoff delay in seconds.")

    max_upload_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(default=40_000_000, ge=10_000)

    clip_fps: int = Field(default=24, ge=8, le=60, description="Frame rate of procedural clips.")
    clip_size: int = Field(default=512, ge=256, le=2048, description="Side of procedural clips in px.")

    sam_weights: Path | None = None

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'popcon.db').resolve()}"
