"""A local stand-in for DashScope and the Gemini API: real HTTP on 127.0.0.1, their protocols, their failures.

One threaded server speaks both: DashScope's async task protocol (create with the async header,
PENDING / RUNNING polls, SUCCEEDED / FAILED / CANCELED / UNKNOWN, cancel, the account's task list,
pre-signed result files) and Gemini's `generateContent` and `models` list. Every request body is
checked against the documented schema in `schemas.py` and refused with the service's error body.
Tests script failures by filling the queues below, and stop a request part-way (`gate`) to kill
a runner at that very moment.
"""

from __future__ import annotations

import base64
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from . import schemas

Reply = tuple[int, Any]  # status, JSON object (or raw str for malformed bodies)
SERVICE_ZONE = timezone(timedelta(hours=8))  # the stand-in reads task list times as Beijing time
GEMINI_MODELS = ("gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.5-flash", "gemini-3.1-flash-lite")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # a killed client: not news
        return


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeCloud:
    key: str
    gemini_key: str
    video: bytes
    image_png: bytes
    # scripted behaviour
    polls_before_done: int = 2  # PENDING then RUNNING, then the final status
    final_status: str = "SUCCEEDED"
    fail_prompts: tuple[str, ...] = ()  # tasks whose prompt holds one of these end FAILED
    hold: bool = False  # tasks stay PENDING forever
    video_duration: float | None = 5.0  # None: the answer has no usage block
    usage_keys: tuple[str, ...] = ("video_duration",)  # wan2.6 answers: ("duration", "output_video_duration")
    create_delay: float = 0.0  # the task is created, then the answer comes this much later
    garbled_creates: list[Reply] = field(default_factory=list)  # the task is made, this is answered
    create_errors: list[Reply] = field(default_factory=list)
    poll_errors: list[Reply] = field(default_factory=list)
    edit_errors: list[Reply] = field(default_factory=list)
    gemini_replies: list[Reply] = field(default_factory=list)
    gemini_models: tuple[str, ...] = GEMINI_MODELS  # what the key may use (models list)
    list_errors: list[Reply] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)  # "drop", "404", "403", "500"; then "ok"
    # Stop one kind of request part-way until `release` is set: "create-before" (the create is never
    # read: it did not arrive), "create-after" (the task is made, the answer held), "poll" (a poll
    # held), "download" (half the file sent, the rest held).
    gate: str | None = None
    expect_refusals: bool = False  # unless set, a test whose requests broke the schema fails
    # observations
    requests: list[Recorded] = field(default_factory=list)
    canceled: list[str] = field(default_factory=list)
    active: int = 0
    max_active: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.tasks: dict[str, dict[str, Any]] = {}
        self.created: list[str] = []  # every task id ever created, in order
        self._kinds: dict[str, str] = {}
        self._server: ThreadingHTTPServer | None = None
        self.release = threading.Event()
        self.gated = threading.Event()  # set when a request reached the gate
        self.refused: list[str] = []  # the schema violations the server answered

    # ---- lifecycle --------------------------------------------------------------------
    def start(self) -> FakeCloud:
        fake = self

        class Handler(_Handler):
            cloud = fake

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True, name="fake-cloud"
        ).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    # ---- DashScope ----------------------------------------------------------------------
    def create(self, h: _Handler, kind: str, body: Any) -> Reply:
        if h.headers.get("X-DashScope-Async") != "enable":
            return 403, {
                "code": "AccessDenied",
                "message": "current user api does not support synchronous calls",
            }
        problem = schemas.check_top(body)
        if problem:
            self.refused.append(problem)
            return 400, schemas.dashscope_error("InvalidParameter", problem)
        if kind == "image":
            problem = schemas.check_t2i(body)
        else:
            problem = schemas.check_video(body, keyframes=kind == "keyframes")
            problem = problem or schemas.check_image(
                body["input"].get("img_url") or body["input"].get("first_frame_url")
            )
        if problem:
            self.refused.append(problem)
            return 400, schemas.dashscope_error("InvalidParameter", problem)
        with self._lock:
            if self.create_errors:
                return self.create_errors.pop(0)
            task_id = f"task-{next(self._ids)}"
            kind = "video" if kind == "keyframes" else kind
            self._kinds[task_id] = kind
            self.tasks[task_id] = {
                "kind": kind,
                "polls": 0,
                "status": "PENDING",
                "prompt": body["input"].get("prompt", ""),
                "model": body["model"],
                "gmt_create": int(time.time() * 1000),
            }
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.created.append(task_id)
        if self.create_delay:
            time.sleep(self.create_delay)  # the task exists (and bills) whether or not the answer arrives
        if self.gate == "create-after":
            self._hold()
        with self._lock:
            if self.garbled_creates:
                return self.garbled_creates.pop(0)
        return 200, {"output": {"task_id": task_id, "task_status": "PENDING"}, "request_id": "req-1"}

    def _hold(self) -> None:
        self.gated.set()
        self.release.wait(120)

    def task_list(self, query: dict[str, list[str]]) -> Reply:
        """`GET /api/v1/tasks`: the account's tasks, filtered as documented, newest first, paged."""
        problem = schemas.check_task_list(query)
        if problem:
            self.refused.append(problem)
            return 400, schemas.dashscope_error("InvalidParameter", problem)
        with self._lock:
            if self.list_errors:
                return self.list_errors.pop(0)
        q = {k: v[0] for k, v in query.items()}

        def stamp(text: str) -> float:
            return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=SERVICE_ZONE).timestamp() * 1000

        end = stamp(q["end_time"]) if "end_time" in q else time.time() * 1000
        start = stamp(q["start_time"]) if "start_time" in q else end - 24 * 3600 * 1000
        if "end_time" not in q and "start_time" in q:
            end = start + 24 * 3600 * 1000
        if end - start > 24 * 3600 * 1000:
            return 400, schemas.dashscope_error("InvalidParameter", "the time range exceeds 24 hours")
        with self._lock:
            rows = [
                {
                    "api_key_id": "15xxxx",
                    "caller_uid": "1808xxxx",
                    "gmt_create": t["gmt_create"],
                    "model_name": t["model"],
                    "region": "ap-southeast-1",
                    "request_id": f"req-{task_id}",
                    "status": self._status(t),
                    "task_id": task_id,
                    "user_api_unique_key": f"apikey:v1:aigc:{t['kind']}:{t['model']}",
                }
                for task_id, t in self.tasks.items()
                if start <= t["gmt_create"] <= end
                and q.get("model_name", t["model"]) == t["model"]
                and q.get("task_id", task_id) == task_id
            ]
        rows = [r for r in rows if q.get("status", r["status"]) == r["status"]]
        rows.sort(key=lambda r: -r["gmt_create"])
        size, page = int(q.get("page_size", 10)), int(q.get("page_no", 1))
        pages = max(1, -(-len(rows) // size))
        return 200, {
            "request_id": "req-list",
            "data": rows[(page - 1) * size : page * size],
            "total": len(rows),
            "total_page": pages,
            "page_no": page,
            "page_size": size,
        }

    @staticmethod
    def _status(task: dict[str, Any]) -> str:
        if task.get("done"):
            return str(task["done"]["output"]["task_status"])
        return "CANCELED" if task.get("canceled") else str(task["status"])

    def billed_creates(self, kind: str = "video") -> int:
        """Tasks of this kind the service created (each one is billed once it runs)."""
        return len([t for t in self.created if self._kinds.get(t) == kind])

    def expire(self, task_id: str) -> None:
        """What 24 h do to a task: the service forgets it (polls answer UNKNOWN)."""
        with self._lock:
            self.tasks.pop(task_id, None)

    def poll(self, task_id: str) -> Reply:
        with self._lock:
            if self.poll_errors:
                return self.poll_errors.pop(0)
            task = self.tasks.get(task_id)
            if task is None:
                return 200, {"output": {"task_id": task_id, "task_status": "UNKNOWN"}}
            if task.get("done"):
                return 200, task["done"]
            if task.get("canceled"):
                status = "CANCELED"
            elif self.hold or task["polls"] < self.polls_before_done:
                status = "PENDING" if self.hold or task["polls"] == 0 else "RUNNING"
                task["polls"] += 1
                task["status"] = status
                return 200, {"output": {"task_id": task_id, "task_status": status}}
            elif any(p in task["prompt"] for p in self.fail_prompts):
                status = "FAILED"
            else:
                status = self.final_status
            out: dict[str, Any] = {"task_id": task_id, "task_status": status}
            reply: dict[str, Any] = {"request_id": "req-2", "output": out}
            if status == "SUCCEEDED" and task["kind"] == "video":
                out["orig_prompt"] = task["prompt"]
                out["video_url"] = f"{self.url}/files/{task_id}.mp4?Expires=1&Signature=presigned"
                if self.video_duration is not None:
                    reply["usage"] = {k: self.video_duration for k in self.usage_keys} | {"video_count": 1}
            elif status == "SUCCEEDED":
                url = f"{self.url}/files/{task_id}.png?Signature=presigned"
                out["results"] = [{"orig_prompt": task["prompt"], "url": url}]
                reply["usage"] = {"image_count": 1}
            elif status == "FAILED":
                out.update(code="InternalError.Algo", message="the model could not animate this image")
            task["done"] = reply
            self.active -= 1
            return 200, reply

    def cancel(self, task_id: str) -> Reply:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None or task.get("done") or task["status"] != "PENDING":
                return 400, {"code": "UnsupportedOperation", "message": "only a PENDING task can be canceled"}
            task["canceled"] = True
            self.canceled.append(task_id)
            self.active -= 1
        return 200, {"request_id": "req-3"}

    def edit(self, body: Any) -> Reply:
        problem = schemas.check_top(body) or schemas.check_edit(body)
        if problem:
            self.refused.append(problem)
            return 400, schemas.dashscope_error("InvalidParameter", problem)
        with self._lock:
            if self.edit_errors:
                return self.edit_errors.pop(0)
        content = body["input"]["messages"][0]["content"]
        problem = schemas.check_image(next(c["image"] for c in content if "image" in c))
        if problem:
            return 400, {"code": "InvalidParameter", "message": problem}
        url = f"{self.url}/files/edit-{next(self._ids)}.png?Signature=presigned"
        return 200, {
            "output": {
                "choices": [
                    {"finish_reason": "stop", "message": {"role": "assistant", "content": [{"image": url}]}}
                ]
            },
            "usage": {"image_count": 1, "width": 512, "height": 512},
            "request_id": "req-4",
        }

    # ---- Gemini -------------------------------------------------------------------------
    def generate(self, model: str, body: Any) -> Reply:
        if model not in self.gemini_models:
            return 404, schemas.gemini_error(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1beta, or is not supported for "
                "generateContent. Call ListModels to see the list of available models and their "
                "supported methods.",
            )
        problem = schemas.check_generate(body)
        if problem:
            where, message = problem
            self.refused.append(message)
            text = f"Invalid JSON payload received. {message}" + (f" at '{where}'" if where else "")
            return 400, schemas.gemini_error(400, "INVALID_ARGUMENT", text)
        with self._lock:
            if self.gemini_replies:
                return self.gemini_replies.pop(0)
        return 200, gemini_image_reply(self.image_png)

    def models(self, query: dict[str, list[str]]) -> Reply:
        """`GET /v1beta/models`, paged by `pageSize` / `pageToken` as documented."""
        size = int((query.get("pageSize") or ["50"])[0])
        start = int((query.get("pageToken") or ["0"])[0] or 0)
        names = list(self.gemini_models)
        page = [
            {
                "name": f"models/{n}",
                "displayName": n,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
            }
            for n in names[start : start + size]
        ]
        reply: dict[str, Any] = {"models": page}
        if start + size < len(names):
            reply["nextPageToken"] = str(start + size)
        return 200, reply


def gemini_image_reply(png: bytes) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}}
                    ],
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 300, "candidatesTokenCount": 1290},
    }


class _Handler(BaseHTTPRequestHandler):
    cloud: FakeCloud
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        data = (
            payload
            if isinstance(payload, bytes)
            else (payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        with self.cloud._lock:
            self.cloud.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
        return body

    def _authorized(self) -> bool:
        c = self.cloud
        if self.path.startswith(("/v1beta/", "/v1/")):
            if self.headers.get("x-goog-api-key") != c.gemini_key:
                self._send(
                    400,
                    {
                        "error": {
                            "code": 400,
                            "message": "API key not valid. Please pass a valid API key.",
                            "status": "INVALID_ARGUMENT",
                        }
                    },
                )
                return False
        elif self.headers.get("Authorization") != f"Bearer {c.key}":
            self._send(
                401, {"code": "InvalidApiKey", "message": "Invalid API-key provided.", "request_id": "r"}
            )
            return False
        return True

    def do_GET(self) -> None:
        self._record()
        path = self.path.split("?", 1)[0]
        if path.startswith("/files/"):
            return self._file(path)
        if not self._authorized():
            return None
        query = parse_qs(self.path.split("?", 1)[1]) if "?" in self.path else {}
        if path in ("/api/v1/tasks", "/api/v1/tasks/"):
            return self._reply(self.cloud.task_list(query))
        if path.startswith("/api/v1/tasks/"):
            if self.cloud.gate == "poll":
                self.cloud._hold()
            return self._reply(self.cloud.poll(path.rsplit("/", 1)[1]))
        if path in ("/v1beta/models", "/v1beta/models/"):
            return self._reply(self.cloud.models(query))
        return self._send(404, {"code": "NotFound", "message": path})

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        c = self.cloud
        if c.gate == "create-before" and path.endswith("/video-synthesis"):
            c._hold()  # the request never arrives: the connection is dropped unread
            self.close_connection = True
            return None
        body = self._record()
        if not self._authorized():
            return None
        if path == "/api/v1/services/aigc/video-generation/video-synthesis":
            return self._reply(c.create(self, "video", body))
        if path == "/api/v1/services/aigc/image2video/video-synthesis":
            return self._reply(c.create(self, "keyframes", body))
        if path == "/api/v1/services/aigc/text2image/image-synthesis":
            return self._reply(c.create(self, "image", body))
        if path == "/api/v1/services/aigc/multimodal-generation/generation":
            return self._reply(c.edit(body))
        if path.startswith("/api/v1/tasks/") and path.endswith("/cancel"):
            return self._reply(c.cancel(path.split("/")[-2]))
        if path.startswith(("/v1beta/models/", "/v1/models/")) and path.endswith(":generateContent"):
            model = path.split("/models/", 1)[1].rsplit(":", 1)[0]
            return self._reply(c.generate(model, body))
        return self._send(404, {"code": "NotFound", "message": path})

    def _reply(self, reply: Reply) -> None:
        self._send(*reply)

    def _file(self, path: str) -> None:
        c = self.cloud
        with c._lock:
            mode = c.downloads.pop(0) if c.downloads else "ok"
        data = c.video if path.endswith(".mp4") else c.image_png
        ctype = "video/mp4" if path.endswith(".mp4") else "image/png"
        if mode in ("404", "403", "500"):
            return self._send(
                int(mode),
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                "application/xml",
            )
        if mode == "ok" and c.gate == "download":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            c._hold()
            self.close_connection = True
            return None
        if mode == "drop":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        return self._send(200, data, ctype)
