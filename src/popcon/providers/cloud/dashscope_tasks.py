"""DashScope's async task protocol, run so that one request is never paid twice.

Create (`X-DashScope-Async: enable`), poll `/api/v1/tasks/{id}` with capped backoff, cancel a
PENDING task when the job is canceled. Around that, the ledger:

- the intent (model, request fingerprint, prompt hash, time) is saved before the create is sent;
- a task id is saved the moment the service returns it, and a later try polls that task;
- when a create's answer was lost (a crash, a kill, a timeout, a 5xx, an unreadable answer), the
  account's task list (`GET /api/v1/tasks`, narrowed by model and time) is searched for the task
  the lost create made, and that task is adopted; a new task is created only when the list holds
  none. A task whose prompt (`orig_prompt`) is not this request's is never adopted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from popcon.domain.errors import Canceled, TransientError
from popcon.providers.base import CancelCheck, TaskLedger, TaskRecord
from popcon.providers.cloud.http import (
    HttpClient,
    ModerationError,
    ProviderError,
    TaskFailed,
    TaskTimedOut,
    UnconfirmedRequest,
    sleep_checking,
)
from popcon.providers.cloud.ledger import age_of, text_digest
from popcon.settings import Settings

log = logging.getLogger(__name__)

NAME = "dashscope"
TASK_PATH = "/api/v1/tasks/{id}"
TASK_LIST_PATH = "/api/v1/tasks"
ASYNC = {"X-DashScope-Async": "enable"}
TASK_KEEP_SECONDS = 24 * 3600  # the service forgets a task (and its result link) after this
CLOCK_SKEW = 120.0  # our clock against the service's, when matching a task's creation time
LIST_PAGE_SIZE = 10  # the documented default page size
LIST_MAX_PAGES = 20
BILLABLE = ("PENDING", "RUNNING", "SUCCEEDED")


def _error_fields(data: Any) -> tuple[str, str]:
    if isinstance(data, dict):
        return str(data.get("code") or ""), str(data.get("message") or "")
    return "", ""


def list_window(sent_at: float) -> tuple[str, str]:
    """`start_time` / `end_time` (YYYYMMDDhhmmss, at most 24 h apart) around an intent.

    The documentation does not say in which time zone the service reads them, so the 24 h
    window is placed to hold the intent whether it reads UTC-9 ... UTC+15; the exact match is
    then made on each task's `gmt_create`, which is in epoch milliseconds.
    """
    fmt = "%Y%m%d%H%M%S"
    start = datetime.fromtimestamp(sent_at - 9 * 3600, UTC)
    end = datetime.fromtimestamp(sent_at + 15 * 3600, UTC)
    return start.strftime(fmt), end.strftime(fmt)


def orig_prompt(data: dict[str, Any]) -> str | None:
    """The prompt a finished task was created with: `output.orig_prompt` (video) or
    `output.results[].orig_prompt` (images); None while the service does not show it."""
    out = data.get("output") or {}
    if isinstance(out.get("orig_prompt"), str):
        return str(out["orig_prompt"])
    for r in out.get("results") or []:
        if isinstance(r, dict) and isinstance(r.get("orig_prompt"), str):
            return str(r["orig_prompt"])
    return None


@dataclass(frozen=True)
class TaskSpec:
    """One paid task request, and what identifies it when its answer is lost."""

    path: str
    body: dict[str, Any]
    model: str
    prompt: str  # `input.prompt`, matched against a found task's `orig_prompt`
    request: Any  # the settings that shaped the request; a record made with others is not reused
    fingerprint: str
    what: str

    def intent(self) -> TaskRecord:
        return {
            "provider": NAME,
            "state": "sending",
            "what": self.what,
            "model": self.model,
            "request": self.request,
            "fingerprint": self.fingerprint,
            "prompt_sha": text_digest(self.prompt),
            "sent_at": time.time(),
        }


class DashScopeClient:
    """Task protocol shared by the video and the image provider."""

    def __init__(self, settings: Settings, key: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._sleep = sleep
        self.http = HttpClient(
            NAME,
            settings.dashscope_base_url,
            {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            secrets=[key],
            timeout=settings.http_timeout,
            retries=settings.http_retries,
            backoff_base=settings.http_backoff_base,
            backoff_max=settings.http_backoff_max,
            error_parser=_error_fields,
            sleep=sleep,
        )

    def close(self) -> None:
        self.http.close()

    # ---- one task, paid once ----------------------------------------------------------------
    def run(
        self, ledger: TaskLedger, spec: TaskSpec, check_cancel: CancelCheck
    ) -> tuple[TaskRecord, dict[str, Any]]:
        """The SUCCEEDED answer of this request's task, and the ledger record naming that task.

        The task in the ledger is polled; a lost create is looked up and adopted; a task is
        created only when neither gives one. A task that this very call created and that ends
        FAILED raises; one left by an earlier try that ended without a result is replaced.
        """
        record = self._usable(ledger.load(), spec)
        rejected: set[str] = set(record.get("rejected") or []) if record else set()
        creates = 0
        while True:
            fresh = False
            if record is None or record.get("state") != "created":
                task_id = None
                if record is not None:  # an earlier create whose answer was lost
                    task_id = self._look_up(record, spec, rejected, check_cancel, ledger)
                if task_id is None:
                    if creates > self.settings.http_retries:
                        last = (record or {}).get("lost") or "no answer"
                        raise TransientError(
                            f"{NAME}: the {spec.what} create failed {creates} times (last: {last}) and "
                            "the task list shows no task from it (nothing was billed)"
                        )
                    creates += 1
                    record, task_id = self._create(ledger, spec, check_cancel, rejected)
                    if task_id is None:
                        continue  # lost answer: look it up before anything else
                    fresh = True
                else:
                    assert record is not None  # a look-up only happens for an earlier intent
                    record = {**record, "state": "created", "task_id": task_id, "adopted": True}
                    record.setdefault("created_at", record.get("sent_at", time.time()))
                    ledger.save(record)
            task_id = str(record["task_id"])
            try:
                data = self.wait_task(task_id, check_cancel, spec.what)
            except TaskTimedOut:
                raise
            except (TaskFailed, ModerationError) as e:
                if fresh:
                    ledger.save(None)  # not billed: the next try creates a new task
                    raise
                log.info("%s: task %s ended without a result (%s); creating a new one", NAME, task_id, e)
                record = None
                ledger.save(None)
                continue
            said = orig_prompt(data)
            if record.get("adopted") and said is not None and text_digest(said) != record.get("prompt_sha"):
                log.warning("%s: task %s was made for another request; looking further", NAME, task_id)
                rejected.add(task_id)
                record = {**spec.intent(), "sent_at": record.get("sent_at"), "rejected": sorted(rejected)}
                ledger.save(record)
                continue
            return record, data

    def _usable(self, record: TaskRecord | None, spec: TaskSpec) -> TaskRecord | None:
        """The ledger record if it is about this request and can still lead to its task."""
        if not record or record.get("provider") != NAME:
            return None
        state = record.get("state")
        if state == "unconfirmed":  # written by an older PopCon: the same as a lost create
            record = {**record, "state": "sending"}
            state = "sending"
        if state not in ("created", "sending"):
            return None
        if record.get("request") != spec.request or record.get("model", spec.model) != spec.model:
            log.info(
                "%s: the %s settings changed since the last try; its task is not reused", NAME, spec.what
            )
            return None
        since = "created_at" if state == "created" else "sent_at"
        if age_of(record, since) > TASK_KEEP_SECONDS:
            log.info("%s: the last %s task is older than 24 h (expired); creating a new one", NAME, spec.what)
            return None
        if state == "created" and not record.get("task_id"):
            return None
        return record

    def _create(
        self, ledger: TaskLedger, spec: TaskSpec, check_cancel: CancelCheck, rejected: set[str]
    ) -> tuple[TaskRecord, str | None]:
        """Save the intent, then send the create. (record, task id), or (intent, None) when the
        answer was lost; a refused create clears the intent (nothing was made)."""
        intent = spec.intent()
        if rejected:
            intent["rejected"] = sorted(rejected)
        ledger.save(intent)  # on disk before a byte of the request is sent
        try:
            task_id = self.create_task(spec.path, spec.body, check_cancel, spec.what)
        except UnconfirmedRequest as e:
            log.warning("%s; looking the task up before anything else", e)
            intent["lost"] = str(e)[:300]
            ledger.save(intent)
            return intent, None
        except (ProviderError, TransientError, Canceled):
            ledger.save(None)  # refused (4xx, or every try answered 429/503): no task exists
            raise
        record = {
            **intent,
            "state": "created",
            "task_id": task_id,
            "created_at": time.time(),
            "billed": False,
        }
        ledger.save(record)  # before the first poll: a crash from here on loses nothing
        return record, task_id

    def _look_up(
        self,
        record: TaskRecord,
        spec: TaskSpec,
        rejected: set[str],
        check_cancel: CancelCheck,
        ledger: TaskLedger,
    ) -> str | None:
        """The task an unanswered create made, from the account's task list; None when it made none.

        Candidates: the model's tasks created within the window the create could have made them in,
        not yet rejected, in a billable state. A candidate whose `orig_prompt` is this request's is
        taken at once; one whose prompt is not yet shown is taken when it is the earliest left
        (its prompt is checked when it finishes). A FAILED / CANCELED task was not billed.
        """
        s = self.settings
        sent_at = float(record.get("sent_at") or 0)
        settle = sent_at + s.dashscope_lookup_settle - time.time()
        if settle > 0:  # let a create still inside the service show up in the list
            sleep_checking(settle, check_cancel, self._sleep)
        earliest = sent_at - CLOCK_SKEW
        latest = sent_at + (s.http_timeout + s.http_backoff_max) * (s.http_retries + 1) + CLOCK_SKEW
        try:
            listed = self.list_tasks(spec.model, sent_at, check_cancel)
        except ProviderError as e:
            if record.get("lookup_refused"):
                log.warning(
                    "%s: the task list is still refused (%s); creating a new %s task as the last try "
                    "said it would",
                    NAME,
                    e,
                    spec.what,
                )
                return None
            ledger.save({**record, "lookup_refused": True})
            raise UnconfirmedRequest(
                f"{NAME}: the last {spec.what} create was not answered and the task list that would "
                f"find its task was refused ({e}); check the task list in the Model Studio console. "
                "Resuming the job creates a new task (which may be billed a second time)"
            ) from None
        candidates = sorted(
            (
                t
                for t in listed
                if t.get("model_name") == spec.model
                and str(t.get("task_id") or "") not in rejected
                and str(t.get("status") or "").upper() in BILLABLE
                and earliest <= _seconds(t.get("gmt_create")) <= latest
            ),
            key=lambda t: _seconds(t.get("gmt_create")),
        )
        unknown: list[str] = []
        for t in candidates:
            task_id = str(t["task_id"])
            try:
                data = self.http.request_json(
                    "GET", TASK_PATH.format(id=task_id), check_cancel=check_cancel, what="task look-up"
                )
            except TransientError:
                unknown.append(task_id)
                continue
            said = orig_prompt(data)
            if said is None:
                unknown.append(task_id)
            elif text_digest(said) == record.get("prompt_sha"):
                log.info(
                    "%s: found task %s of the unanswered %s create; adopting it", NAME, task_id, spec.what
                )
                return task_id
            else:
                rejected.add(task_id)
        if unknown:
            log.info("%s: adopting task %s for the unanswered %s create", NAME, unknown[0], spec.what)
            return unknown[0]
        log.info("%s: the task list holds no task from the unanswered %s create", NAME, spec.what)
        return None

    # ---- protocol calls ---------------------------------------------------------------------
    def list_tasks(self, model: str, sent_at: float, check_cancel: CancelCheck) -> list[dict[str, Any]]:
        """The account's tasks of `model` in the 24 h window around `sent_at` (all pages, bounded)."""
        start, end = list_window(sent_at)
        out: list[dict[str, Any]] = []
        page = 1
        while page <= LIST_MAX_PAGES:
            params = {
                "model_name": model,
                "start_time": start,
                "end_time": end,
                "page_no": page,
                "page_size": LIST_PAGE_SIZE,
            }
            query = "&".join(f"{k}={v}" for k, v in params.items())
            data = self.http.request_json(
                "GET", f"{TASK_LIST_PATH}?{query}", check_cancel=check_cancel, what="task list"
            )
            rows = data.get("data") or []
            out += [r for r in rows if isinstance(r, dict)]
            try:
                pages = int(data.get("total_page") or 1)
            except (TypeError, ValueError):
                pages = 1
            if page >= pages or not rows:
                return out
            page += 1
        return out

    def create_task(self, path: str, body: dict[str, Any], check_cancel: CancelCheck, what: str) -> str:
        """Create a billed task. Never sent twice when the first answer may have been lost."""
        data = self.http.request_json(
            "POST", path, body=body, headers=ASYNC, check_cancel=check_cancel, what=what, idempotent=False
        )
        task_id = (data.get("output") or {}).get("task_id")
        if not task_id:
            code, message = str(data.get("code") or ""), str(data.get("message") or "")[:200]
            raise UnconfirmedRequest(
                f"{NAME}: the {what} answer has no task id ({code or 'no code'}: {message or 'no message'}); "
                "it was not sent again in case a task was created"
            )
        return str(task_id)

    def poll_once(self, task_id: str, check_cancel: CancelCheck, what: str) -> dict[str, Any]:
        """One poll of a finished task (a fresh result link); TaskFailed when it is no longer SUCCEEDED."""
        data = self.http.request_json(
            "GET", TASK_PATH.format(id=task_id), check_cancel=check_cancel, what="task poll"
        )
        out = data.get("output") or {}
        status = str(out.get("task_status") or "UNKNOWN").upper()
        if status != "SUCCEEDED":
            raise self._task_error(task_id, status, out, what)
        return data

    def wait_task(self, task_id: str, check_cancel: CancelCheck, what: str) -> dict[str, Any]:
        """Poll until the task ends; return the SUCCEEDED answer. Polling tolerates transient errors."""
        s = self.settings
        deadline = time.monotonic() + s.task_timeout
        interval = s.poll_interval
        status = "PENDING"
        try:
            while True:
                sleep_checking(interval, check_cancel, self._sleep)
                interval = min(s.poll_interval_max, interval * 1.5)
                try:
                    data = self.http.request_json(
                        "GET", TASK_PATH.format(id=task_id), check_cancel=check_cancel, what="task poll"
                    )
                except TransientError as e:
                    if time.monotonic() > deadline:
                        raise
                    log.info("%s: poll of task %s failed (%s); polling on", NAME, task_id, e)
                    continue
                out = data.get("output") or {}
                status = str(out.get("task_status") or "UNKNOWN").upper()
                if status == "SUCCEEDED":
                    return data
                if status in ("FAILED", "CANCELED", "UNKNOWN"):
                    raise self._task_error(task_id, status, out, what)
                if time.monotonic() > deadline:
                    if status == "PENDING":  # never started: do not let it start (and bill) later
                        self.cancel_task(task_id)
                        raise TaskFailed(
                            f"{NAME}: the {what} task did not start within {s.task_timeout:.0f}s and was "
                            "canceled"
                        )
                    raise TaskTimedOut(
                        f"{NAME}: the {what} task did not finish within {s.task_timeout:.0f}s (still "
                        f"{status}); it is kept: resuming the job polls it again instead of paying for "
                        "a new one"
                    )
        except Canceled:
            if status == "PENDING":
                self.cancel_task(task_id)
            raise

    def cancel_task(self, task_id: str) -> None:
        """Best effort: only a PENDING task can be canceled; a failure here changes nothing."""
        try:
            self.http.request_json("POST", TASK_PATH.format(id=task_id) + "/cancel", what="task cancel")
        except Exception as e:  # the job is being canceled anyway
            log.info("%s: cancel of task %s failed: %s", NAME, task_id, e)

    @staticmethod
    def _task_error(task_id: str, status: str, out: dict[str, Any], what: str) -> ProviderError:
        code, message = str(out.get("code") or ""), str(out.get("message") or "")[:300]
        detail = f" ({code}: {message})" if code or message else ""
        if status == "UNKNOWN":
            return TaskFailed(f"{NAME}: the {what} task is unknown to the service (expired or lost){detail}")
        if "datainspection" in code.lower():
            return ModerationError(f"{NAME}: the {what} was rejected by content inspection{detail}")
        return TaskFailed(f"{NAME}: the {what} task ended {status}{detail}")


def _seconds(ms: Any) -> float:
    """A task list time (epoch milliseconds) in seconds; -inf when missing."""
    try:
        return float(ms) / 1000.0
    except (TypeError, ValueError):
        return float("-inf")
