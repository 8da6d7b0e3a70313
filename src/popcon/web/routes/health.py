"""Liveness and version."""

from __future__ import annotations

import os

from fastapi import APIRouter

from popcon import __version__
from popcon.web.deps import Svc
from popcon.web.schemas import Health, Version

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(svc: Svc) -> Health:
    return Health(jobs_dir_writable=os.access(svc.settings.data_dir, os.W_OK))


@router.get("/version", response_model=Version)
def version() -> Version:
    return Version(version=__version__)
