"""Errors the domain and every layer above it speak. Shells map them to messages / HTTP codes."""


class PopconError(Exception):
    """Base of every error PopCon raises on purpose; its message is shown to the user as is."""


class InvalidInput(PopconError):
    """The user gave something we cannot use (corrupt image, unknown action, bad clip...)."""


class UnsupportedFormat(InvalidInput):
    """A file in a format we do not read."""


class TooLarge(InvalidInput):
    """An upload over the byte or pixel limit."""


class OutOfRange(InvalidInput):
    """A well-formed value outside what it refers to (a click outside the frame, a frame past the end)."""


class NotFound(PopconError):
    """An id that names nothing."""


class Conflict(PopconError):
    """The job is in a state where this request makes no sense (retry a running job, export too early)."""


class JobBusy(Conflict):
    """Another live process (or this one) is running the job."""


class IllegalTransition(PopconError):
    """A status change the state machine does not allow."""


class TransientError(PopconError):
    """A failure worth retrying (busy provider, timeout, dropped connection)."""


class Canceled(PopconError):
    """Raised inside a stage when its job was canceled; the runner stops the action quietly."""


class StorageError(PopconError):
    """The data folder or the database cannot be written: disk full, read-only, gone.

    Nothing is wrong with the job itself: once there is room again (or the folder is writable),
    resume finishes it. `full` tells a full disk (HTTP 507) from storage that is unavailable (503).
    """

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
