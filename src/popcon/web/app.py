"""The app factory: one FastAPI app per settings object, with its own store, runner and event hub.

On startup, jobs left in an active status (the server stopped mid-run) are handed back to the
embedded runner, which continues each from the stage it had reached.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from popcon import __version__
from popcon.domain.errors import StorageError
from popcon.settings import Settings
from popcon.usecases.context import AppContext, open_context
from popcon.web.body_limit import JsonBodyLimit
from popcon.web.errors import install_error_handlers
from popcon.web.hub import EventHub
from popcon.web.security import SecurityHeaders, TokenGate

log = logging.getLogger("popcon.web")
STATIC = Path(str(resources.files("popcon.web").joinpath("static")))
# Swagger UI and ReDoc from the fastapi-offline wheel (MIT): /docs and /redoc work with no network.
DOCS_ASSETS = Path(str(resources.files("fastapi_offline").joinpath("static")))
OPENAPI_URL = "/api/v1/openapi.json"
PAGES = ("create", "jobs", "job", "refine", "results")


def recover(svc: AppContext) -> list[str]:
    """Resubmit every job a previous server left active; returns their ids."""
    ids = [j.id for j in svc.list_jobs(limit=500) if j.status.active]
    for job_id in ids:
        svc.start(job_id, svc.run_job, job_id)
    if ids:
        log.info("resuming %d job(s) left active: %s", len(ids), ", ".join(ids))
    return ids


# The docs pages may load nothing from another host (ReDoc's bundle still names a logo on its CDN).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


def _same_origin(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


def install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc, every asset served by the app itself."""
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def _swagger() -> HTMLResponse:
        return _same_origin(
            get_swagger_ui_html(
                openapi_url=OPENAPI_URL,
                title=f"{app.title} API",
                swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                swagger_css_url="/docs-assets/swagger-ui.css",
                swagger_favicon_url="/docs-assets/favicon.png",
                swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from validator.swagger.io
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def _redoc() -> HTMLResponse:
        return _same_origin(
            get_redoc_html(
                openapi_url=OPENAPI_URL,
                title=f"{app.title} API",
                redoc_js_url="/docs-assets/redoc.standalone.js",
                redoc_favicon_url="/docs-assets/favicon.png",
                with_google_fonts=False,
            )
        )


def create_app(settings: Settings | None = None, *, recover_jobs: bool = True) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            svc = open_context(settings)  # embedded pool, or Celery workers with POPCON_QUEUE=celery
        except StorageError as e:  # every API call answers this error as JSON until the folder is fixed
            log.error("%s", e)
            app.state.services = app.state.hub = None
            app.state.unusable = e
            yield
            return
        app.state.services = svc
        app.state.hub = hub = EventHub(svc.subscribe, journal=svc.record_activity)
        if recover_jobs and settings.queue == "embedded":  # Celery workers recover their own jobs
            recover(svc)
        try:
            yield
        finally:
            hub.close()
            svc.close(wait=False)

    app = FastAPI(
        title="PopCon",
        version=__version__,
        description="One character image in, animated emoji and sticker sets out.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's own pages load their scripts from a CDN: served below instead
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    install_error_handlers(app)
    app.state.settings = settings
    app.add_middleware(JsonBodyLimit, max_bytes=settings.max_json_bytes)
    if settings.api_token is not None:
        app.add_middleware(TokenGate, token=settings.api_token.get_secret_value())
    # Outside Starlette's own error middleware, so a 500 carries the headers too.
    inner_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(inner_stack())  # type: ignore[method-assign]

    from popcon.web.routes import actions, auth, events, exports, frames, health, jobs, rig, segment

    for module in (health, auth, actions, jobs, frames, segment, exports, events, rig):
        app.include_router(module.router, prefix="/api/v1")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_docs(app)

    index = STATIC / "index.html"

    @app.get("/", include_in_schema=False)
    def _index() -> FileResponse:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    # Client-side routes: every page is the same document; the ES modules render the right view.
    for page in PAGES:
        app.add_api_route(f"/{page}", _index, include_in_schema=False)
        app.add_api_route(f"/{page}/{{rest:path}}", _index, include_in_schema=False)

    @app.api_route(
        "/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
    )
    def _unknown(rest: str, request: Request) -> FileResponse:
        """An unknown address a browser opens gets the app's own "page not found" (status 404), not raw
        JSON; the API and every other client keep the JSON error."""
        wants_page = request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")
        if rest.startswith("api/") or not wants_page:
            raise StarletteHTTPException(404, "Not Found")
        return FileResponse(index, status_code=404, headers={"Cache-Control": "no-cache"})

    return app
