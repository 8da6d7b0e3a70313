"""The local web app: FastAPI routes under /api/v1 plus a static single-page UI (no build step)."""

from popcon.web.app import create_app

__all__ = ["create_app"]
