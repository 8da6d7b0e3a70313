"""Errors the domain and every layer above it speak. Shells map them to messages / HTTP codes.

Each class names a stable `code` beside its English message: the job record stores it with the
message and a UI words it in its own language (the catalogue has `error.<code>` for every one).
"""

from typing import ClassVar


class PopconError(Exception):
    """Base of every error PopCon raises on purpose; its message is shown to the user as is."""

    code: ClassVar[str] = "error"


class InvalidInput(PopconError):
    """The user gave something we cannot use (corrupt image, unknown action, bad clip...)."""

    code: ClassVar[str] = "invalid_input"


class UnsupportedFormat(InvalidInput):
    """A file in a format we do not read."""

    code: ClassVar[str] = "unsupported_format"


class TooLarge(InvalidInput):
    """An upload over the byte or pixel limit."""

    code: ClassVar[str] = "too_large"


class OutOfRange(InvalidInput):
    """A well-formed value outside what it refers to (a click outside the frame, a frame past the end)."""

    code: ClassVar[str] = "out_of_range"


class NotFound(PopconError):
    """An id that names nothing."""

    code: ClassVar[str] = "not_found"


class Conflict(PopconError):
    """The job is in a state where this request makes no sense (retry a running job, export too early)."""

    code: ClassVar[str] = "conflict"


class JobBusy(Conflict):
    """Another live process (or this one) is running the job."""

    code: ClassVar[str] = "busy"


class IllegalTransition(PopconError):
    """A status change the state machine does not allow."""

    code: ClassVar[str] = "conflict"


class TransientError(PopconError):
    """A failure worth retrying (busy provider, timeout, dropped connection)."""

    code: ClassVar[str] = "transient"


class Canceled(PopconError):
    """Raised inside a stage when its job was canceled; the runner stops the action quietly."""

    code: ClassVar[str] = "canceled"


class MissingWeights(PopconError):
    """A model's weights file is not installed (PopCon never downloads them) or does not load."""

    code: ClassVar[str] = "missing_weights"


# Codes a job's record may carry that no single exception class names.
INTERNAL = "internal"  # an unexpected exception (a bug): the English text says which
JOB_ERROR_CODES: tuple[str, ...] = (
    INTERNAL,
    "all_actions_failed",  # no action finished: the text lists each action's error
    "actions_failed",  # the set was made without the actions that failed
    "export_failed",  # every platform's export failed; `export_failed_some`: some did
    "export_failed_some",
)


def error_code(exc: BaseException) -> str:
    """The stable code stored beside an error's English text: its class's, or `internal`."""
    if isinstance(exc, StorageError) and exc.full:
        return "storage_full"
    return exc.code if isinstance(exc, PopconError) else INTERNAL


class StorageError(PopconError):
    """The data folder or the database cannot be written: disk full, read-only, gone.

    Nothing is wrong with the job itself: once there is room again (or the folder is writable),
    resume finishes it. `full` tells a full disk (HTTP 507) from storage that is unavailable (503).
    """

    code: ClassVar[str] = "storage_unavailable"

    def __init__(self, message: str, *, full: bool) -> None:
        super().__init__(message)
        self.full = full


_FULL_ERRNOS = {28, 122}  # ENOSPC, EDQUOT
_UNAVAILABLE_ERRNOS = {1, 13, 30}  # EPERM, EACCES, EROFS
_FULL_WORDS = ("database or disk is full", "no space left")
_UNAVAILABLE_WORDS = (
    "readonly database",
    "read-only file system",
    "unable to open database file",
    "disk i/o error",
)


def as_storage_error(exc: BaseException) -> StorageError | None:
    """The storage failure behind `exc` (an OSError or a database driver error), or None.

    Pure classification by errno and by the driver's message, so every layer can turn the same
    failures into one clear line without importing the database library.
    """
    if isinstance(exc, StorageError):
        return exc
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        errno = getattr(e, "errno", None)
        text = str(e).lower()
        where = f" ({e.filename})" if isinstance(e, OSError) and e.filename else ""
        if errno in _FULL_ERRNOS or any(w in text for w in _FULL_WORDS):
            return StorageError(f"the disk is full{where}: free some space, then resume the job", full=True)
        if (isinstance(e, OSError) and errno in _UNAVAILABLE_ERRNOS) or any(
            w in text for w in _UNAVAILABLE_WORDS
        ):
            return StorageError(
                f"the data folder cannot be written{where}: check POPCON_DATA_DIR and its permissions",
                full=False,
            )
        e = getattr(e, "orig", None) or e.__cause__ or e.__context__
    return None
