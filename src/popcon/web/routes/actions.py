"""Action presets, platform presets and what the create form needs to know about the server."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query

from popcon.domain.actions import load_presets
from popcon.domain.platforms import load_platforms
from popcon.usecases import captions as captions_uc
from popcon.usecases.jobs import MAX_ACTIONS
from popcon.usecases.providers import estimate_cost, missing_price
from popcon.web.deps import Svc
from popcon.web.schemas import ActionPresetOut, ConfigOut, EstimateLine, EstimateOut, PlatformOut

router = APIRouter(tags=["actions"])


@router.get("/actions", response_model=list[ActionPresetOut])
def list_actions() -> list[ActionPresetOut]:
    return [ActionPresetOut.of(p) for p in load_presets().values()]


@router.get("/captions")
def caption_defaults() -> dict[str, Any]:
    """Caption languages, each action's default caption per language, and the length limits."""
    return captions_uc.caption_defaults()


@router.get("/platforms", response_model=list[PlatformOut])
def list_platforms() -> list[PlatformOut]:
    return [PlatformOut.of(p) for p in load_platforms().values()]


@router.get("/config", response_model=ConfigOut)
def config(svc: Svc) -> ConfigOut:
    offline = svc.offline
    return ConfigOut(
        image_provider=svc.settings.image_provider,
        video_provider=svc.settings.video_provider,
        offline=offline,
        cost_estimate=None if offline else "estimated per set from the price table",
        max_upload_bytes=svc.settings.max_upload_bytes,
        max_image_pixels=svc.settings.max_image_pixels,
        max_actions=MAX_ACTIONS,
    )


@router.get("/estimate", response_model=EstimateOut)
def estimate(
    svc: Svc,
    actions: int = Query(ge=0, le=MAX_ACTIONS, description="How many actions the set has."),
    from_prompt: bool = Query(False, description="The character is generated from a prompt."),
) -> EstimateOut:
    """The cost of a set before it runs, so a user sees it before pressing Create."""
    usages = estimate_cost(svc.settings, actions, from_prompt=from_prompt)
    totals: dict[str, float] = {}
    unpriced: list[str] = []
    for u in usages:
        if u.cost is None or not u.currency:
            unpriced.append(f"{u.model}: {missing_price(svc.settings, u.provider, u.model)}")
            continue
        totals[u.currency] = totals.get(u.currency, 0.0) + u.cost
    if not usages:
        text = "Free · runs offline on this machine"
    else:
        parts = [f"{cur} {amount:.2f}" for cur, amount in sorted(totals.items())]
        text = "about " + " + ".join(parts) if parts else "price unknown"
        if unpriced and parts:
            text += " + models without a listed price"
        text += " (estimate)"
        if unpriced:  # say why, e.g. no published price for the key's region
            text += "; " + "; ".join(unpriced)
    return EstimateOut(
        offline=not usages,
        lines=[EstimateLine.model_validate(asdict(u)) for u in usages],
        totals={k: round(v, 4) for k, v in totals.items()},
        text=text,
    )
