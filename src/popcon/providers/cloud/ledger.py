"""Durable records of paid cloud calls: what was about to be sent, what the service answered.

Why: a paid request is billed when the service carries it out, not when its answer reaches us.
The record of the intent (action, model, request fingerprint, time) is written, and flushed to
disk, *before* the request is sent; a crash, a kill or a lost answer from then on leaves a record
that the next try reads before it sends anything again.

Video clips keep their record with the action in the job store (`TaskLedger` handed in by the
pipeline). Image calls have no such hand-over, so they keep theirs here, in one JSON file per
request fingerprint under `data_dir/paid-calls`, with the paid result beside it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from popcon.providers.base import TaskRecord

T = TypeVar("T")

KEEP_SECONDS = 24 * 3600  # results of the services live this long; so do the records of them


def digest(value: Any) -> str:
    """A stable hash of plain JSON data (key order and spacing do not matter)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def request_fingerprint(endpoint: str, body: dict[str, Any], volatile: tuple[str, ...] = ("seed",)) -> str:
    """What makes two requests the same paid call: the endpoint and the body, less the fields that
    change between tries on purpose (a random seed)."""
    stable = copy.deepcopy(body)
    params = stable.get("parameters")
    if isinstance(params, dict):
        for name in volatile:
            params.pop(name, None)
    return digest({"endpoint": endpoint, "body": stable})


def _write_durably(path: Path, data: bytes) -> None:
    """Write to a temporary file, flush it to disk, then rename: the file is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # the rename itself is durable only once the folder is flushed (POSIX)
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class FileLedger:
    """One paid call's record (a `TaskLedger`) and its paid result, as files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.result_path = path.with_suffix(".result")

    def load(self) -> TaskRecord | None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def save(self, record: TaskRecord | None) -> None:
        if record is None:
            self.path.unlink(missing_ok=True)
            self.result_path.unlink(missing_ok=True)
            return
        _write_durably(self.path, json.dumps(record, sort_keys=True).encode())

    def load_result(self) -> bytes | None:
        try:
            return self.result_path.read_bytes()
        except FileNotFoundError:
            return None

    def save_result(self, data: bytes) -> None:
        _write_durably(self.result_path, data)


class CallLedgers:
    """The records of paid image calls, one per request fingerprint, forgotten after a day.

    The same request (same model, prompt and image) within a day is answered from the paid
    result kept here instead of being paid again.
    """

    def __init__(self, root: Path, keep_seconds: float = KEEP_SECONDS) -> None:
        self.root = root
        self.keep_seconds = keep_seconds

    def entry(self, fingerprint: str) -> FileLedger:
        self._prune()
        return FileLedger(self.root / f"{fingerprint}.json")

    def _prune(self) -> None:
        if not self.root.is_dir():
            return
        cutoff = time.time() - self.keep_seconds
        for p in self.root.iterdir():
            try:
                if p.stat().st_mtime < cutoff:
                    p.unlink(missing_ok=True)
            except OSError:
                continue


def age_of(record: TaskRecord, key: str = "created_at") -> float:
    """Seconds since the record's `key` time (infinite when it has none)."""
    try:
        return time.time() - float(record[key])
    except (KeyError, TypeError, ValueError):
        return float("inf")


class PaidCall:
    """The ledger steps of one synchronous paid call (an image edit, a Gemini image).

    Such a call cannot be looked up afterwards, so when its answer was lost (or the process died
    while it was out) the next try does not send it silently: it stops once with a clear error,
    and only the try after that (the user resuming, told it may be billed again) sends it.
    """

    def __init__(self, entry: FileLedger, provider: str, what: str, model: str) -> None:
        self.entry = entry
        self.provider = provider
        self.what = what
        self.model = model

    def cached(self) -> bytes | None:
        """The paid result of this very request, kept from an earlier try."""
        return self.entry.load_result()

    def answered(self) -> TaskRecord | None:
        """The record of an answer whose result was not fetched yet (its links)."""
        rec = self.entry.load()
        return rec if rec and rec.get("state") == "answered" else None

    def begin(self) -> None:
        """Write the intent before the request is sent; refuse once after a lost answer."""
        from popcon.providers.cloud.http import UnconfirmedRequest

        rec = self.entry.load()
        fresh = rec is not None and age_of(rec, "sent_at") < KEEP_SECONDS
        if rec and fresh and rec.get("state") == "sending" and not rec.get("reported"):
            self.entry.save({**rec, "reported": True})
            raise UnconfirmedRequest(
                f"{self.provider}: an earlier {self.what} request was sent and its answer never "
                "arrived (the process stopped or the connection broke); the service may have "
                "carried it out and billed it. It was not sent again: resuming the job sends it "
                "once more (which may be billed a second time)"
            )
        self.entry.save({"state": "sending", "what": self.what, "model": self.model, "sent_at": time.time()})

    def send(self, request: Callable[[], T]) -> T:
        """Begin, then run the request: a lost answer is remembered (the next try refuses once), a
        refusal forgets the call (nothing was made or billed)."""
        from popcon.domain.errors import TransientError
        from popcon.providers.cloud.http import ProviderError, UnconfirmedRequest

        self.begin()
        try:
            return request()
        except UnconfirmedRequest:
            self.lost()
            raise
        except (ProviderError, TransientError):
            self.refused()
            raise

    def lost(self) -> None:
        """The answer was lost: the user has been told by the error this call raises."""
        rec = self.entry.load() or {}
        self.entry.save({**rec, "state": "sending", "reported": True})

    def refused(self) -> None:
        """The service refused the request: nothing was billed, nothing to remember."""
        self.entry.save(None)

    def answer(self, **info: Any) -> None:
        rec = self.entry.load() or {}
        self.entry.save({**rec, **info, "state": "answered", "answered_at": time.time()})

    def done(self, result: bytes) -> None:
        self.entry.save_result(result)
        self.answer(fetched=True)
