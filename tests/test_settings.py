from pathlib import Path

import pytest
from pydantic import ValidationError

from popcon.domain.errors import InvalidInput
from popcon.providers.registry import video_provider
from popcon.settings import Settings


def test_defaults_are_offline_and_local(monkeypatch):
    for k in ("POPCON_DATA_DIR", "POPCON_DATABASE_URL", "POPCON_WORKERS"):
        monkeypatch.delenv(k, raising=False)
    s = Settings()
    assert s.data_dir == Path("popcon-data")
    assert s.image_provider == s.video_provider == "offline"
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("popcon-data/popcon.db")


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("POPCON_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("POPCON_WORKERS", "3")
    s = Settings()
    assert s.data_dir == tmp_path and s.workers == 3


def test_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("POPCON_WORKERS", "0")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("POPCON_WORKERS", "2")
    monkeypatch.setenv("POPCON_VIDEO_PROVIDER", "Sky Net!")
    with pytest.raises(ValidationError):
        Settings()
    # A well-formed name that no provider registered is refused where providers are made, naming them:
    # the settings hold no list of providers (a new one is one module and one registry line).
    monkeypatch.setenv("POPCON_VIDEO_PROVIDER", "skynet")
    with pytest.raises(InvalidInput, match="available: offline, dashscope"):
        video_provider(Settings())
