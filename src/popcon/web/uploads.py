"""Reading uploads within the byte limit, before anything is decoded or stored (the use cases decode)."""

from __future__ import annotations

from fastapi import UploadFile

from popcon.domain.errors import InvalidInput, TooLarge
from popcon.domain.units import megabytes
from popcon.usecases.jobs import Upload

CHUNK = 1 << 20


async def read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """The whole upload, or TooLarge as soon as it passes `max_bytes` (never buffers more)."""
    parts: list[bytes] = []
    total = 0
    while chunk := await upload.read(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(f"{_name(upload)} is over the {megabytes(max_bytes)} upload limit")
        parts.append(chunk)
    if total == 0:
        raise InvalidInput(f"{_name(upload)} is empty")
    return b"".join(parts)


async def read_upload(upload: UploadFile, max_bytes: int, default_name: str) -> Upload:
    """The upload's bytes under the name to keep; the use case checks it is an image it reads."""
    return Upload(upload.filename or default_name, data=await read_limited(upload, max_bytes))


def file_field(value: UploadFile | str | None, field: str) -> UploadFile | None:
    """A multipart file field, or None when the form left it empty.

    A part sent without a file name arrives as text, not as a file: say what to send instead of
    the framework's "Expected UploadFile" message.
    """
    if isinstance(value, str):
        if value == "":
            return None
        raise InvalidInput(f"{field}: send the image as a file (a multipart part with a file name)")
    if value is not None and not value.filename and value.size == 0:
        return None
    return value


def _name(upload: UploadFile) -> str:
    name = (upload.filename or "upload").rsplit("/", 1)[-1]
    return name[:60] or "upload"
