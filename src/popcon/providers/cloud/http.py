"""The one HTTP helper every cloud client uses: bounded, jittered retries and secret-free errors.

Why one helper: retry policy, error classification and key hygiene must be identical across
providers. 429 / 5xx / dropped connections / unreadable JSON are retried here a bounded number of
times, then surface as `TransientError` so the runner's own retry may take over; 4xx refusals
(moderation, bad parameters, bad key) surface at once as `ProviderError` with the service's code.
No message built here ever contains a key or a signed URL's query string.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from popcon.domain.errors import PopconError, TransientError
from popcon.providers.base import CancelCheck, never_canceled

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# Answers that say the service did not take the request: safe to send again even when a second
# accepted copy would be billed. 502 / 504 come from a gateway that may have passed it on, and a
# 500 is an error inside the service that may come after the task was made: neither proves that
# nothing was carried out, so a paid request answered so is not sent again blindly.
REFUSED_STATUS = frozenset({408, 425, 429, 503})


class ProviderError(PopconError):
    """The service refused the request or the task for good; retrying the same call will not help."""

    code: ClassVar[str] = "provider_failed"


class AuthError(ProviderError):
    """Missing, wrong or unauthorised key (401 / 403)."""

    code: ClassVar[str] = "provider_auth"


class ModerationError(ProviderError):
    """The content inspection of the service rejected the prompt, the image or the output."""

    code: ClassVar[str] = "provider_refused"


class TaskFailed(ProviderError):
    """A cloud task ended FAILED, CANCELED or UNKNOWN."""

    code: ClassVar[str] = "provider_task_failed"


class TaskTimedOut(TaskFailed):
    """The task was still running when polling passed its deadline; it may still finish (and bill)."""

    code: ClassVar[str] = "provider_timeout"


class ResultGone(ProviderError):
    """The result link of a finished task answers 403 / 404 / 410: it expired, the task must run again."""

    code: ClassVar[str] = "provider_result_gone"


class UnconfirmedRequest(ProviderError):
    """A billed request was sent but its answer was lost: it may have been carried out.

    Never retried automatically: sending it again could make the user pay twice.
    """

    code: ClassVar[str] = "provider_unconfirmed"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Remove every secret from `text` (defence in depth: services sometimes echo headers)."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return text


def safe_url(url: str) -> str:
    """Host and path only: signed result URLs carry credentials in their query string."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def backoff_delay(attempt: int, base: float, cap: float, wait_hint: float | None = None) -> float:
    """Exponential backoff with jitter (half to full of the step), capped; honours Retry-After."""
    step = min(cap, base * (2 ** (attempt - 1)))
    delay = step * (0.5 + random.random() / 2)
    if wait_hint is not None:
        delay = min(cap, max(delay, wait_hint))
    return delay


def sleep_checking(seconds: float, check_cancel: CancelCheck, sleep: Callable[[float], None]) -> None:
    """Sleep in short slices so a job cancel is noticed within about half a second."""
    end = time.monotonic() + seconds
    while True:
        check_cancel()
        left = end - time.monotonic()
        if left <= 0:
            return
        sleep(min(left, 0.5))


class HttpClient:
    """A small synchronous JSON + download client bound to one provider and its secret headers."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        headers: dict[str, str],
        *,
        secrets: Iterable[str] = (),
        timeout: float = 60.0,
        retries: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        error_parser: Callable[[Any], tuple[str, str]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._secrets = [s for s in secrets if s]
        self._error_parser = error_parser or _generic_error
        self._sleep = sleep
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    # ---- requests ---------------------------------------------------------------------
    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request_json(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        check_cancel: CancelCheck = never_canceled,
        what: str = "request",
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Send, retrying transient failures; return the JSON object of a 2xx answer.

        `idempotent=False` is for requests that are billed when carried out (creating a task):
        they are sent again only when the request provably did not arrive or the service answered
        that it did not take it; a lost answer raises `UnconfirmedRequest` instead of a retry.
        """
        url = self.url(path)
        last = "no answer"
        wait_hint: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self._backoff(attempt, last, check_cancel, wait_hint)
                wait_hint = None
            try:
                r = self._client.request(method, url, json=body, headers=headers)
            except httpx.TimeoutException as e:
                last = f"timed out ({what})"
                if not idempotent and not isinstance(e, (httpx.ConnectTimeout, httpx.PoolTimeout)):
                    raise self._unconfirmed(what, last) from None
                continue
            except httpx.TransportError as e:
                last = f"connection failed ({what}: {type(e).__name__})"
                if not idempotent and not isinstance(e, httpx.ConnectError):
                    raise self._unconfirmed(what, last) from None
                continue
            if r.status_code in RETRY_STATUS:
                code, message = self._parse_error(r)
                last = f"HTTP {r.status_code} {code}: {message}".strip()
                if not idempotent and r.status_code not in REFUSED_STATUS:
                    raise self._unconfirmed(what, last)
                wait_hint = _retry_after(r)
                continue
            if r.status_code >= 400:
                raise self._hard_error(r, what)
            try:
                data = r.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                last = f"unreadable JSON in the {what} answer"
                if not idempotent:
                    raise self._unconfirmed(what, last) from None
                continue
            if not isinstance(data, dict):
                last = f"unexpected JSON in the {what} answer"
                if not idempotent:
                    raise self._unconfirmed(what, last)
                continue
            return data
        raise TransientError(self._clean(f"{self.provider}: {last} (gave up after {self.retries + 1} tries)"))

    def download(
        self,
        url: str,
        dest: Path,
        *,
        max_bytes: int,
        check_cancel: CancelCheck = never_canceled,
        validate: Callable[[Path], None] | None = None,
    ) -> Path:
        """Stream `url` to `dest.part`, check it, then rename: a half download never appears at `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        where = safe_url(url)
        last = "no answer"
        try:
            for attempt in range(self.retries + 1):
                if attempt:
                    self._backoff(attempt, last, check_cancel)
                try:
                    # Result URLs are pre-signed storage links: never send our API key there.
                    with httpx.stream("GET", url, timeout=self._client.timeout, follow_redirects=True) as r:
                        if r.status_code in RETRY_STATUS:
                            last = f"HTTP {r.status_code} downloading {where}"
                            continue
                        if r.status_code in (403, 404, 410):
                            raise ResultGone(
                                self._clean(
                                    f"{self.provider}: the result at {where} is gone (HTTP {r.status_code}); "
                                    "result links expire"
                                )
                            )
                        if r.status_code >= 400:
                            raise ProviderError(
                                self._clean(f"{self.provider}: HTTP {r.status_code} downloading {where}")
                            )
                        # With a content-encoding the length is of the encoded body: do not compare it.
                        encoded = r.headers.get("content-encoding", "identity") != "identity"
                        expected = 0 if encoded else int(r.headers.get("content-length") or 0)
                        if expected > max_bytes:
                            raise ProviderError(
                                f"{self.provider}: the result is too large ({expected} bytes)"
                            )
                        n = 0
                        with tmp.open("wb") as f:
                            for chunk in r.iter_bytes(1 << 16):
                                n += len(chunk)
                                if n > max_bytes:
                                    raise ProviderError(
                                        f"{self.provider}: the result is over {max_bytes} bytes"
                                    )
                                f.write(chunk)
                                check_cancel()
                        if expected and n != expected:
                            last = f"download of {where} stopped at {n} of {expected} bytes"
                            continue
                        if n == 0:
                            last = f"empty download from {where}"
                            continue
                except httpx.TimeoutException:
                    last = f"download of {where} timed out"
                    continue
                except httpx.TransportError as e:
                    last = f"download of {where} broke off ({type(e).__name__})"
                    continue
                if validate is not None:
                    validate(tmp)
                tmp.replace(dest)
                return dest
            raise TransientError(
                self._clean(f"{self.provider}: {last} (gave up after {self.retries + 1} tries)")
            )
        finally:
            tmp.unlink(missing_ok=True)

    def fetch_bytes(self, url: str, *, max_bytes: int, check_cancel: CancelCheck = never_canceled) -> bytes:
        """A small result (an image) into memory, with the same retry and expiry rules as `download`."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="popcon-dl-") as d:
            path = self.download(url, Path(d) / "result", max_bytes=max_bytes, check_cancel=check_cancel)
            return path.read_bytes()

    # ---- internals --------------------------------------------------------------------
    def _backoff(
        self, attempt: int, reason: str, check_cancel: CancelCheck, wait_hint: float | None = None
    ) -> None:
        delay = backoff_delay(attempt, self.backoff_base, self.backoff_max, wait_hint)
        log.info("%s: %s; retry %d in %.2fs", self.provider, self._clean(reason), attempt, delay)
        sleep_checking(delay, check_cancel, self._sleep)

    def _parse_error(self, r: httpx.Response) -> tuple[str, str]:
        try:
            data = r.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return "", r.reason_phrase
        code, message = self._error_parser(data)
        return code, message[:300]

    def _hard_error(self, r: httpx.Response, what: str) -> ProviderError:
        code, message = self._parse_error(r)
        detail = self._clean(f"{code}: {message}" if code else message)
        text = f"{self.provider} refused the {what} (HTTP {r.status_code} {detail})"
        low = f"{code} {message}".lower()
        if r.status_code in (401, 403) or "apikey" in low or "api key" in low or "api_key" in low:
            return AuthError(f"{text}; check the API key and that its region matches the base URL")
        if "datainspection" in low or "safety" in low or "moderation" in low or "blocked" in low:
            return ModerationError(f"{text}; change the prompt or the image")
        return ProviderError(text)

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)

    def _unconfirmed(self, what: str, reason: str) -> UnconfirmedRequest:
        return UnconfirmedRequest(
            self._clean(
                f"{self.provider}: the {what} was sent but its answer was lost ({reason}); the service "
                "may have carried it out and will bill it, so it was not sent again"
            )
        )


def _generic_error(data: Any) -> tuple[str, str]:
    """DashScope answers `{"code", "message"}`; Google answers `{"error": {"status", "message"}}`."""
    if not isinstance(data, dict):
        return "", ""
    if isinstance(data.get("error"), dict):
        e = data["error"]
        return str(e.get("status") or e.get("code") or ""), str(e.get("message") or "")
    return str(data.get("code") or ""), str(data.get("message") or "")


def _retry_after(r: httpx.Response) -> float | None:
    value = r.headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None
