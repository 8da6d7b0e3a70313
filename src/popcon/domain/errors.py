"""Errors the domain and every layer above it speak. Shells map them to messages / HTTP codes."""


class PopconError(Exception):
    """Base of every error PopCon raises on purpose; its message is shown to the user as is."""


class InvalidInput(PopconError):
    """The user gave something we cannot use (corrupt image, unknown action, bad clip...)."""


class UnsupportedFormat(InvalidInput):
    """A file in a format we do not read."""


class TooLarge(InvalidInput):
    """An upload over the byte or pixel limit."""


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
