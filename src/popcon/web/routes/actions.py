"""Action presets, platform presets and what the create form needs to know about the server."""

from __future__ import annotations

from fastapi import APIRouter

from popcon.domain.actions import load_presets
from popcon.domain.platforms import load_platforms
from popcon.web.deps import Svc
from popcon.web.schemas import ActionPresetOut, ConfigOut, PlatformOut

router = APIRouter(tags=["actions"])
MAX_ACTIONS = 40


@router.get("/actions", response_model=list[ActionPresetOut])
def list_actions() -> list[ActionPresetOut]:
    return [ActionPresetOut.of(p) for p in load_presets().values()]


@router.get("/platforms", response_model=list[PlatformOut])
def list_platforms() -> list[PlatformOut]:
    return [PlatformOut.of(p) for p in load_platforms().values()]


@router.get("/config", response_model=ConfigOut)
def config(svc: Svc) -> ConfigOut:
    r = svc.runner
    offline = bool(getattr(r.images, "offline", True) and getattr(r.video, "offline", True))
    return ConfigOut(
        image_provider=svc.settings.image_provider,
        video_provider=svc.settings.video_provider,
        offline=offline,
        cost_estimate=None if offline else "billed by the provider per image and per clip",
        max_upload_bytes=svc.settings.max_upload_bytes,
        max_actions=MAX_ACTIONS,
    )
