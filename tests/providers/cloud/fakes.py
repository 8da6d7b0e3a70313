"""A local stand-in for DashScope and the Gemini API: real HTTP on 127.0.0.1, their protocols, their failures.

One threaded server speaks both: DashScope's async task protocol (create with the async header,
PENDING / RUNNING polls, SUCCEEDED / FAILED / CANCELED / UNKNOWN, cancel, pre-signed result files)
and Gemini's `generateContent`. Tests script failures by filling the queues below.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

Reply = tuple[int, Any]  # status, JSON object (or raw str for malformed bodies)

# What each Wan model accepts (the API reference): the stand-in refuses anything else, as the service does.
MODEL_RESOLUTIONS = {
    "wan2.2-i2v-flash": ("480P", "720P"),
    "wan2.2-i2v-plus": ("480P", "1080P"),
    "wan2.6-i2v-flash": ("720P", "1080P"),
    "wan2.2-kf2v-flash": ("480P", "720P", "1080P"),
}
FIXED_DURATION = ("wan2.2-i2v-flash", "wan2.2-i2v-plus", "wan2.2-kf2v-flash")


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
    create_errors: list[Reply] = field(default_factory=list)
    poll_errors: list[Reply] = field(default_factory=list)
    edit_errors: list[Reply] = field(default_factory=list)
    gemini_replies: list[Reply] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)  # "drop", "404", "403", "500"; then "ok"
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

    # ---- lifecycle --------------------------------------------------------------------
    def start(self) -> FakeCloud:
        fake = self

        class Handler(_Handler):
            cloud = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True, name="fake-cloud"
        ).start()
        return self

    def stop(self) -> None:
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
        if not isinstance(body, dict) or "model" not in body or "input" not in body:
            return 400, {"code": "InvalidParameter", "message": "model and input are required"}
        if kind == "video":
            problem = _check_image(body["input"].get("img_url") or body["input"].get("first_frame_url"))
            problem = problem or _check_video_parameters(body["model"], body.get("parameters") or {})
            if problem:
                return 400, {"code": "InvalidParameter", "message": problem}
            if len(body["input"].get("prompt", "")) > 800:
                return 400, {"code": "InvalidParameter", "message": "prompt too long"}
        with self._lock:
            if self.create_errors:
                return self.create_errors.pop(0)
            task_id = f"task-{next(self._ids)}"
            self._kinds[task_id] = kind
            self.tasks[task_id] = {
                "kind": kind,
                "polls": 0,
                "status": "PENDING",
                "prompt": body["input"].get("prompt", ""),
            }
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.created.append(task_id)
        if self.create_delay:
            time.sleep(self.create_delay)  # the task exists (and bills) whether or not the answer arrives
        return 200, {"output": {"task_id": task_id, "task_status": "PENDING"}, "request_id": "req-1"}

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
                out["video_url"] = f"{self.url}/files/{task_id}.mp4?Expires=1&Signature=presigned"
                if self.video_duration is not None:
                    reply["usage"] = {k: self.video_duration for k in self.usage_keys} | {"video_count": 1}
            elif status == "SUCCEEDED":
                out["results"] = [{"url": f"{self.url}/files/{task_id}.png?Signature=presigned"}]
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
        with self._lock:
            if self.edit_errors:
                return self.edit_errors.pop(0)
        content = body["input"]["messages"][0]["content"]
        problem = _check_image(next(c["image"] for c in content if "image" in c))
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
    def generate(self, body: Any) -> Reply:
        with self._lock:
            if self.gemini_replies:
                return self.gemini_replies.pop(0)
        parts = body["contents"][0]["parts"]
        if body.get("generationConfig", {}).get("responseModalities") != ["IMAGE"] or not parts[0].get(
            "text"
        ):
            return 400, {"error": {"code": 400, "message": "bad request", "status": "INVALID_ARGUMENT"}}
        return 200, gemini_image_reply(self.image_png)


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


def _check_video_parameters(model: str, params: dict[str, Any]) -> str | None:
    allowed = MODEL_RESOLUTIONS.get(model)
    if allowed and params.get("resolution", allowed[0]) not in allowed:
        return f"resolution {params.get('resolution')} is not supported by {model}"
    if model in FIXED_DURATION and "duration" in params:
        return f"{model} has a fixed duration of 5 s"
    return None


def _check_image(uri: Any) -> str | None:
    """DashScope's input rules: a URL or data URI of an image without alpha, each side 360-2000 px."""
    if not isinstance(uri, str) or not uri:
        return "the image is required"
    if not uri.startswith("data:image/"):
        return None  # a public URL: the real service would fetch it
    try:
        im = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    except Exception:
        return "the image cannot be decoded"
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        return "the image must not have an alpha channel"
    if not all(360 <= s <= 2000 for s in im.size):
        return f"image size {im.size} out of range [360, 2000]"
    return None


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
        if path.startswith("/api/v1/tasks/"):
            return self._reply(self.cloud.poll(path.rsplit("/", 1)[1]))
        return self._send(404, {"code": "NotFound", "message": path})

    def do_POST(self) -> None:
        body = self._record()
        path = self.path.split("?", 1)[0]
        if not self._authorized():
            return None
        c = self.cloud
        if path.endswith("/video-synthesis"):
            return self._reply(c.create(self, "video", body))
        if path == "/api/v1/services/aigc/text2image/image-synthesis":
            return self._reply(c.create(self, "image", body))
        if path == "/api/v1/services/aigc/multimodal-generation/generation":
            return self._reply(c.edit(body))
        if path.startswith("/api/v1/tasks/") and path.endswith("/cancel"):
            return self._reply(c.cancel(path.split("/")[-2]))
        if path.startswith(("/v1beta/models/", "/v1/models/")) and path.endswith(":generateContent"):
            return self._reply(c.generate(body))
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
