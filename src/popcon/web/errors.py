"""Domain errors to HTTP: every failure is JSON `{"detail": message, "code": name}` with the right status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from popcon.domain.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    JobBusy,
    NotFound,
    OutOfRange,
    PopconError,
    StorageError,
    TooLarge,
    UnsupportedFormat,
    as_storage_error,
)

log = logging.getLogger("popcon.web")

# Most specific first: TooLarge and UnsupportedFormat are InvalidInput too; JobBusy is a Conflict.
# The body's code is the error class's own (`PopconError.code`), the one the UI's catalogue words.
_STATUS: tuple[tuple[type[PopconError], int], ...] = (
    (TooLarge, 413),
    (UnsupportedFormat, 415),
    (OutOfRange, 422),
    (NotFound, 404),
    (IllegalTransition, 409),
    (JobBusy, 409),
    (Conflict, 409),
    (InvalidInput, 400),
)

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    return JSONResponse({"detail": message, "code": code, **extra}, status_code=status, headers=headers)


def _storage_response(exc: StorageError) -> JSONResponse:
    if exc.full:
        return error_response(507, "storage_full", str(exc))
    return error_response(503, "storage_unavailable", str(exc), headers={"Retry-After": "60"})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PopconError)
    async def _popcon(_request: Request, exc: PopconError) -> JSONResponse:
        if isinstance(exc, StorageError):
            return _storage_response(exc)
        status = next((status for cls, status in _STATUS if isinstance(exc, cls)), 500)
        return error_response(status, exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        parts = []
        for e in errors[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{where}: {e.get('msg')}" if where else str(e.get("msg")))
        message = "; ".join(parts) or "invalid request"
        safe = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors]
        return error_response(422, "validation_error", message, errors=safe)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        storage = as_storage_error(exc)
        if storage is not None:
            return _storage_response(storage)
        log.exception("unexpected error", exc_info=exc)
        return error_response(
            500, "internal_error", "something went wrong on the server; the job keeps its work"
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), message)
