"""Liveness and version."""

from __future__ import annotations

from fastapi import APIRouter

from popcon import __version__
from popcon.web.deps import Svc
from popcon.web.schemas import Health, Version

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(svc: Svc) -> Health:
    """Alive, and whether the data folder takes a write now (a probe, not its mode bits: a full
    disk, or a read-only mount, leaves the mode bits saying yes)."""
    w = svc.writability()
    return Health(
        status="ok" if w.writable else "degraded",
        jobs_dir_writable=w.writable,
        free_bytes=w.free_bytes,
        problem=w.reason,
    )


@router.get("/version", response_model=Version)
def version() -> Version:
    return Version(version=__version__)
