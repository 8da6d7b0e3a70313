"""Request and response models of the HTTP API, kept apart from the domain types they are built from.

Why separate: the API is a contract with the browser; domain records may grow fields (paths, leases)
that must never leak, and their shape may change without breaking clients.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from popcon.domain.actions import ActionPreset
from popcon.domain.exports import ExportSummary
from popcon.domain.models import ActionClip, Job
from popcon.domain.platforms import PlatformPreset
from popcon.domain.status import JobStatus


class Health(BaseModel):
    status: Literal["ok", "degraded"] = "ok"
    jobs_dir_writable: bool = Field(description="A real write into the data folder succeeded just now.")
    free_bytes: int | None = Field(default=None, description="Room left on the data folder's disk.")
    problem: str | None = Field(default=None, description="Why the data folder takes no write.")


class Version(BaseModel):
    name: str = "popcon"
    version: str
    api: str = "v1"


class ActionPresetOut(BaseModel):
    id: str
    label: str
    emoji: str
    motion_prompt: str
    start_pose_prompt: str
    seconds: int

    @classmethod
    def of(cls, p: ActionPreset) -> ActionPresetOut:
        return cls(
            id=p.id,
            label=p.label,
            emoji=p.emoji,
            motion_prompt=p.motion_prompt,
            start_pose_prompt=p.start_pose_prompt,
            seconds=p.recipe.seconds,
        )


class PlatformOut(BaseModel):
    id: str
    name: str
    kind: str
    implemented: bool
    width: int
    height: int
    set_min: int
    set_max: int
    set_sizes: list[int] = Field(default_factory=list, description="Only these set sizes, when not empty.")

    @classmethod
    def of(cls, p: PlatformPreset) -> PlatformOut:
        return cls(
            id=p.id,
            name=p.name,
            kind=p.kind,
            implemented=p.implemented,
            width=p.canvas.width,
            height=p.canvas.height,
            set_min=p.set.min,
            set_max=p.set.max,
            set_sizes=list(p.set.sizes),
        )


class ConfigOut(BaseModel):
    image_provider: str
    video_provider: str
    offline: bool
    cost_estimate: str | None = Field(description="Human-readable estimate when a paid provider is set.")
    max_upload_bytes: int
    max_image_pixels: int
    max_actions: int


class EstimateLine(BaseModel):
    provider: str
    model: str
    unit: str
    quantity: float
    cost: float | None = Field(description="None when the price table has no price for this model.")
    currency: str | None


class EstimateOut(BaseModel):
    """What a set would likely cost with the configured providers (an estimate, from the price table)."""

    offline: bool
    lines: list[EstimateLine]
    totals: dict[str, float]
    text: str


class ActionOut(BaseModel):
    index: int
    action_id: str
    label: str
    emoji: str
    motion_prompt: str
    custom: bool
    status: str
    error: str | None
    error_code: str | None = None  # the error's stable code (domain.errors); None: its text only
    attempts: int
    seconds: int | None
    frame_count: int
    matte_warning: str | None = None  # the matte could not separate the background with confidence
    matte_warning_code: str | None = None  # its stable code, for a UI that words it itself
    matte_low_frames: list[int] = []

    @classmethod
    def of(cls, a: ActionClip) -> ActionOut:
        return cls(
            index=a.index,
            action_id=a.action_id,
            label=a.preset.label,
            emoji=a.preset.emoji,
            motion_prompt=a.preset.motion_prompt,
            custom=a.preset.custom,
            status=a.status.value,
            error=a.error,
            error_code=a.error_code,
            attempts=a.attempts,
            seconds=a.seconds,
            frame_count=a.frame_count,
            matte_warning=a.matte.warning if a.matte else None,
            matte_warning_code=a.matte.warning_code if a.matte else None,
            matte_low_frames=list(a.matte.low_frames) if a.matte else [],
        )


class RuleProblem(BaseModel):
    """A rule a file did not pass, for a UI that words it (`rule.<rule>` with `measured` and `limit`)."""

    rule: str
    measured: str
    limit: str
    severity: str


class ExportFileOut(BaseModel):
    name: str
    action_id: str | None = None
    label: str | None = None
    bytes: int
    frames: int | None = None
    seconds: int | None = None
    loops: int | None = None
    valid: bool
    problems: list[str] = Field(default_factory=list)
    problem_codes: list[RuleProblem] = Field(
        default_factory=list, description="Beside each problem: the rule's id, measured value and limit."
    )
    url: str


class WarningCodeOut(BaseModel):
    """A warning's stable code and the values its message is made of (the UI words it itself)."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)


class LeftOutOut(BaseModel):
    action_id: str
    label: str
    error: str
    code: str | None = None  # the error's stable code (over_budget); None: an older export


class ExportOut(BaseModel):
    """One exported set: the fields of `domain.exports.ExportSummary` as the browser reads them (files
    and the ZIP as URLs, never paths)."""

    platform: str = Field(description="The platform preset id (line-emoji, telegram-emoji, ...).")
    name: str
    zip_url: str
    zip_bytes: int
    round: str | None = Field(default=None, description="The export round that published the set.")
    valid: bool = Field(default=True, description="Every file passed the platform's rules.")
    warnings: list[str]
    warning_codes: list[WarningCodeOut | None] = Field(
        default_factory=list, description="Beside each warning: its code or null (older exports: empty)."
    )
    captions: dict[str, str] = Field(default_factory=dict, description="The caption drawn per action.")
    failed: list[LeftOutOut] = Field(
        default_factory=list, description="Actions left out of the set (over the byte budget), and why."
    )
    files: list[ExportFileOut]
    extra_images: list[ExportFileOut]


class JobOut(BaseModel):
    id: str
    status: str
    source: str
    prompt: str | None
    remove_background: bool
    platforms: list[str]
    error: str | None
    error_code: str | None = Field(
        default=None, description="The error's stable code (a UI words it); None: an older record."
    )
    created_at: datetime | None
    updated_at: datetime | None
    actions: list[ActionOut]
    exported: list[str]
    busy: bool = Field(description="Work started by this server is still running for the job.")
    resting: bool = Field(description="Nothing runs: the job waits for the user or is finished.")
    next_step: str = Field(description="What the UI should offer: watch | refine | results | resume")
    cutout_confidence: float | None = Field(
        default=None, description="How sure the cut-out of the uploaded image is (0..1); None: not cut."
    )
    cutout_warning: str | None = Field(
        default=None, description="Set when the upload's cut-out is probably wrong: check or refine it."
    )
    cutout_warning_code: str | None = Field(default=None, description="The cut-out warning's stable code.")
    captions: dict[str, Any] | None = Field(
        default=None, description="The caption choice the job was made with (enabled, lang, text, motion)."
    )
    stalled: bool = Field(
        default=False,
        description="Work stopped on storage (a full or read-only disk) mid-status: `error` says why; "
        "resume continues once there is room.",
    )

    @classmethod
    def of(cls, job: Job, busy: bool = False, stalled: str | None = None) -> JobOut:
        resting = not busy and job.status.at_rest
        if stalled and not busy and job.status.active:  # nothing runs it any more: never "watch" forever
            out = cls.of(job)
            return out.model_copy(
                update={
                    "error": stalled,
                    "error_code": None,
                    "resting": True,
                    "next_step": "resume",
                    "stalled": True,
                }
            )
        if job.status in (JobStatus.FAILED, JobStatus.CANCELED):
            step = "resume"
        elif job.status == JobStatus.AWAITING_REFINEMENT:
            step = "refine"
        elif job.status.terminal and job.exports:
            step = "results"
        elif job.status.terminal:
            step = "watch"
        else:
            step = "watch"
        return cls(
            id=job.id,
            status=job.status.value,
            source=job.source,
            prompt=job.prompt,
            remove_background=job.remove_background,
            platforms=job.platforms,
            error=job.error,
            error_code=job.error_code,
            created_at=job.created_at,
            updated_at=job.updated_at,
            actions=[ActionOut.of(a) for a in job.actions],
            exported=sorted(job.exports),
            busy=busy,
            resting=resting,
            next_step=step,
            cutout_confidence=job.options.cutout.confidence if job.options.cutout else None,
            cutout_warning=job.options.cutout.warning if job.options.cutout else None,
            cutout_warning_code=job.options.cutout.warning_code if job.options.cutout else None,
            captions=job.options.captions.model_dump(mode="json") if job.options.captions else None,
        )


def warning_codes(summary: ExportSummary) -> list[WarningCodeOut | None]:
    """The export's warning codes, one beside each warning (an export written before codes: none)."""
    return [WarningCodeOut.model_validate(c.model_dump()) if c else None for c in summary.warning_codes]


class JobList(BaseModel):
    jobs: list[JobOut]


class ExportRequest(BaseModel):
    platforms: list[str] | None = Field(default=None, max_length=8, description="Default: the job's own.")


class FrameInfo(BaseModel):
    index: int
    action_id: str
    frame_count: int
    width: int
    height: int
    edited: list[int] = Field(description="Frames that carry user edits.")
    export_frames: dict[str, int] = Field(
        default_factory=dict, description="Per platform of the job: how many of these frames its file plays."
    )


class ClickIn(BaseModel):
    x: float = Field(ge=0, le=20_000, allow_inf_nan=False)
    y: float = Field(ge=0, le=20_000, allow_inf_nan=False)
    positive: bool = True


class FrameRef(BaseModel):
    action: int = Field(ge=0, le=999)
    frame: int = Field(ge=0, le=9999)


class PredictRequest(FrameRef):
    clicks: list[ClickIn] = Field(max_length=64)
    mode: Literal["keep", "erase", "restore"] = "erase"
    format: Literal["png", "rle"] = Field(
        default="png",
        description="png: the chosen mask in the alpha of a PNG. rle: every choice, each as a little-endian "
        "uint32 count of runs followed by that many run lengths of the mask above 0.5, row-major, starting "
        "with a run of unselected pixels (X-Mask-Width / X-Mask-Height; X-Mask-Count choices, smallest "
        "first, their areas in X-Mask-Areas, the one shown first in X-Mask-Default).",
    )
    choice: int | None = Field(
        default=None,
        ge=0,
        le=15,
        description="which of the nested masks the clicks may mean (0 = the smallest part); "
        "left out: the default for the mode",
    )


class ApplyRequest(PredictRequest):
    mode: Literal["keep", "erase", "restore"]


class ApplyAllRequest(BaseModel):
    action: int = Field(ge=0, le=999)
    frame: int = Field(ge=0, le=9999)


class EditState(BaseModel):
    action: int
    frame: int
    layers: int
    can_undo: bool
    can_redo: bool


class ApplyAllStarted(BaseModel):
    action: int
    frames: int = Field(description="How many other frames the edits are replayed on.")
