"""The page's side of the API token: is one needed, and trade it (as a bearer header) for a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from popcon.domain.errors import InvalidInput
from popcon.web.security import COOKIE, COOKIE_MAX_AGE, presented_token, token_matches

router = APIRouter(tags=["auth"])


def _token(request: Request) -> str | None:
    secret = request.app.state.settings.api_token
    return secret.get_secret_value() if secret is not None else None


@router.get("/auth")
def auth_status(request: Request) -> dict[str, bool]:
    """Whether this server needs a token, and whether this request carries the right one."""
    token = _token(request)
    ok = token is None or token_matches(presented_token(request.scope), token)
    return {"required": token is not None, "authenticated": ok}


@router.post("/auth", status_code=204, response_class=Response)
def sign_in(request: Request) -> Response:
    """Check the bearer token and keep it in an HttpOnly, SameSite=Strict cookie for the page."""
    token = _token(request)
    if token is None:
        return Response(status_code=204)
    given = None
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        given = value.strip()
    if not token_matches(given, token):
        raise InvalidInput("that is not this server's token")
    response = Response(status_code=204)
    response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="strict", path="/")
    return response
