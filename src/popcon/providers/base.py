"""The small interfaces every generation provider implements (offline and cloud alike)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.domain.reports import Usage as Usage  # the record of a billed call lives in the domain
from popcon.domain.rig import Rig
from popcon.settings import Settings

CancelCheck = Callable[[], None]
"""Called between units of work; raises `popcon.domain.errors.Canceled` when the job was canceled."""


UsageSink = Callable[[Usage], None]
"""Receives the usage of each billed call; the pipeline stores it with the job."""


def never_canceled() -> None:
    return None


def ignore_usage(_usage: Usage) -> None:
    return None


RGB = tuple[int, int, int]
P = TypeVar("P", covariant=True)
Layers = Mapping[str, Image.Image]
CharacterRig = tuple[Rig, dict[str, Image.Image]]
"""A character's rig and its part layers (either may be partial: a rig without layers is fine)."""


@dataclass(frozen=True)
class ImageCapabilities:
    """What an image provider can do, declared on the class so the pipeline never probes for it."""

    rigs: bool = False
    """It draws its characters in parts: `character_rig` returns their rig and part layers."""


@dataclass(frozen=True)
class VideoCapabilities:
    """What a video provider can do, declared on the class so the pipeline never probes for it."""

    alpha: bool = False
    """Its clips carry their own transparency, written losslessly (RGBA): no key colour, no matte."""
    resumes_tasks: bool = False
    """Its billed tasks outlive a call: `ClipRequest.ledger` keeps the task for a retry or a resume."""
    rigs: bool = False
    """It moves a rig's parts: `ClipRequest.rig` (and part layers) are used."""
    overlays: bool = False
    """It draws effect overlays over the character: `overlay_colors` says their colours, which a key
    colour must avoid."""


@dataclass(frozen=True)
class ProviderListing:
    """What `popcon providers` and the web's provider table show of one provider (from settings only:
    no network, no key check against the service)."""

    models: dict[str, str]
    key_env: str  # the environment names that hold its key, "" for none
    key_set: bool | None  # None: needs no key
    selected: str  # the models the settings pick


@dataclass(frozen=True)
class PlannedWork:
    """The billed calls a set will make, counted before it runs (for cost estimates)."""

    characters: int  # characters drawn from a prompt (0 or 1)
    start_poses: int
    clips: int


class ImageProvider(Protocol):
    """Makes the character from a prompt and the start pose of each action."""

    name: str
    offline: bool
    capabilities: ImageCapabilities

    def character(
        self,
        prompt: str,
        reference: Image.Image | None,
        key_color: RGB,
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        """The character, full body; RGBA, or RGB on the flat `key_color` (cloud models have no alpha).

        Each billed call is reported to `on_usage`."""
        ...

    def start_pose(
        self,
        character: Image.Image,
        action: ActionPreset,
        key_color: RGB,
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        """The first frame of the action: the same character, full body, centred."""
        ...

    def character_rig(self, prompt: str, image: Image.Image) -> CharacterRig | None:
        """With `capabilities.rigs`: the rig and part layers of the character this provider drew for
        `prompt`, in `image`'s pixels; None when `image` is not that drawing (it gets auto-rigged)."""
        ...


@dataclass(frozen=True)
class ClipRequest:
    """One clip to make: everything a video provider is given, in one typed record."""

    pose: Image.Image
    action: ActionPreset
    key_color: RGB | None  # None for a provider with `capabilities.alpha`: it draws no background
    out_path: Path
    check_cancel: CancelCheck = never_canceled
    on_usage: UsageSink = ignore_usage
    character: Image.Image | None = None  # the character the rig was made on (its pixels)
    rig: Rig | None = None  # only with `capabilities.rigs` and a rig that moves parts
    layers: Layers | None = None
    ledger: TaskLedger | None = None  # only with `capabilities.resumes_tasks`


class VideoProvider(Protocol):
    """Turns a start pose into a short clip of the action: on a flat, key-able background, or with its
    own alpha when `capabilities.alpha` says so."""

    name: str
    offline: bool
    capabilities: VideoCapabilities

    def animate(self, request: ClipRequest) -> Path:
        """Write the clip to `request.out_path` (atomically: a half download never counts as done).

        With `capabilities.alpha` the clip is lossless RGBA; else it is on `request.key_color`."""
        ...

    def overlay_colors(self, effects: Sequence[str]) -> tuple[RGB, ...]:
        """The colours drawn over the character for these effects (empty without `overlays`)."""
        ...


class ProviderClass(Protocol[P]):
    """What the registry holds: a provider class. Made from the settings, and asked, before any
    instance exists (no key needed), how it is listed, what a set would bill and which prices it needs."""

    def __call__(self, settings: Settings) -> P: ...

    def listing(self, settings: Settings) -> ProviderListing: ...

    def estimate(self, settings: Settings, work: PlannedWork) -> list[Usage]:
        """The billed calls `work` would make with this provider, priced (empty: it bills nothing)."""
        ...

    def price_keys(self, settings: Settings) -> list[tuple[str, str, str]]:
        """(provider, model, variant) of every model it may bill, for the price table's check."""
        ...


class NoRigs:
    """Defaults for an image provider that draws no parts (mix in, or write the two members)."""

    capabilities = ImageCapabilities()

    def character_rig(self, prompt: str, image: Image.Image) -> CharacterRig | None:
        return None


class NoOverlays:
    """Default for a video provider that draws nothing over the character."""

    def overlay_colors(self, effects: Sequence[str]) -> tuple[RGB, ...]:
        return ()


class Free:
    """Defaults for a provider that bills nothing and needs no key."""

    @classmethod
    def estimate(cls, settings: Settings, work: PlannedWork) -> list[Usage]:
        return []

    @classmethod
    def price_keys(cls, settings: Settings) -> list[tuple[str, str, str]]:
        return []


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
