"""The small interfaces every generation provider implements (offline and cloud alike)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.domain.rig import Rig

CancelCheck = Callable[[], None]
"""Called between units of work; raises `popcon.domain.errors.Canceled` when the job was canceled."""


@dataclass(frozen=True)
class Usage:
    """What one provider call consumed, as the service reported it (or as estimated beforehand)."""

    provider: str
    model: str
    unit: str  # "second", "image", ...
    quantity: float
    cost: float | None = None
    currency: str | None = None
    estimated: bool = False


UsageSink = Callable[[Usage], None]
"""Receives the usage of each billed call; the pipeline stores it with the job."""


def never_canceled() -> None:
    return None


def ignore_usage(_usage: Usage) -> None:
    return None


class ImageProvider(Protocol):
    """Makes the character from a prompt and the start pose of each action."""

    name: str
    offline: bool

    def character(
        self,
        prompt: str,
        reference: Image.Image | None,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        """The character, full body; RGBA, or RGB on the flat `key_color` (cloud models have no alpha).

        Each billed call is reported to `on_usage`."""
        ...

    def start_pose(
        self,
        character: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        """The first frame of the action: the same character, full body, centred."""
        ...


@dataclass(frozen=True)
class VideoCapabilities:
    """What a video provider can do, declared once on the class so the pipeline never probes for it."""

    alpha: bool = False
    """Its clips carry their own transparency, written losslessly (RGBA): no key colour, no matte."""


class VideoProvider(Protocol):
    """Turns a start pose into a short clip of the action: on a flat, key-able background, or with its
    own alpha when `capabilities.alpha` says so."""

    name: str
    offline: bool
    capabilities: VideoCapabilities

    def animate(
        self,
        pose: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        out_path: Path,
        check_cancel: CancelCheck = never_canceled,
        on_usage: UsageSink = ignore_usage,
        rig: Rig | None = None,
        layers: Mapping[str, Image.Image] | None = None,
    ) -> Path:
        """Write the clip to `out_path` (atomically: a half download never counts as done).

        With `capabilities.alpha` the clip is lossless RGBA and `key_color` goes unused.

        `rig` (in the pose's pixels) and part `layers` are passed only when the job has a rig with
        limbs that follows this pose; a provider that cannot move parts ignores them."""
        ...


TaskRecord = dict[str, Any]
"""What a cloud provider notes about the billed task it created for one clip (plain JSON, no secret)."""


class TaskLedger(Protocol):
    """Where a cloud video provider keeps the task it created for one action.

    Why: a cloud task is billed when it is created, not when its result arrives. Kept with the
    action (in the job store), the task id lets a retry, a resume or a restarted runner poll and
    download that task again instead of paying for a new one.
    """

    def load(self) -> TaskRecord | None: ...

    def save(self, record: TaskRecord | None) -> None: ...


class MemoryLedger:
    """A ledger that lives as long as one call: the default when nothing persists the task."""

    def __init__(self, record: TaskRecord | None = None) -> None:
        self.record = record

    def load(self) -> TaskRecord | None:
        return dict(self.record) if self.record is not None else None

    def save(self, record: TaskRecord | None) -> None:
        self.record = dict(record) if record is not None else None


class ResumableVideoProvider(VideoProvider, Protocol):
    """A video provider whose billed tasks outlive the call: `animate` also takes the action's ledger.

    The pipeline passes `ledger=` only to providers with `resumes_tasks = True`, so the plain
    `VideoProvider` signature stays as it is for every other implementation.
    """

    resumes_tasks: bool

    def animate(
        self,
        pose: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        out_path: Path,
        check_cancel: CancelCheck = never_canceled,
        on_usage: UsageSink = ignore_usage,
        rig: Rig | None = None,
        layers: Mapping[str, Image.Image] | None = None,
        ledger: TaskLedger | None = None,
    ) -> Path: ...
