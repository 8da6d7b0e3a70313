from __future__ import annotations

from pathlib import Path

import pytest

from popcon.settings import Settings
from popcon.store.db import JobStore

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "samples"
BENCH = SHARED / "bench"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", retry_base_delay=0.01, clip_size=256)


@pytest.fixture
def store(settings: Settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    s = JobStore(settings.db_url)
    yield s
    s.close()
