"""Plain records of a job and its actions, as the pipeline and the shells see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from popcon.domain.actions import ActionPreset
from popcon.domain.captions import CaptionOptions, StoreText
from popcon.domain.exports import ExportSummary
from popcon.domain.reports import CutoutReport, MatteReport, ProviderTask, Usage
from popcon.domain.status import ActionStatus, JobStatus


class JobOptions(BaseModel):
    """What a job was asked with beyond its columns, and what it learned once (the upload's cut-out).

    Stored as JSON; the file names are inside the job's `input/` folder. Keys this version does not
    know are dropped on load (none was ever written besides these).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    content_hash: str | None = None  # of the inputs: the duplicate window finds a repeated request by it
    created_unix: float = 0.0
    idempotency_key: str | None = None
    upload: str | None = None  # the uploaded character
    reference: str | None = None  # a reference image for a prompt
    rig: str | None = None  # a rig file the user placed
    captions: CaptionOptions | None = None  # None: the job predates captions and stays bare
    submission: dict[str, StoreText] = Field(default_factory=dict)  # store title/description per language
    cutout: CutoutReport | None = None  # set once the upload's background was removed

    @field_validator("captions", mode="wrap")
    @classmethod
    def _stored_captions(cls, v: Any, handler: ValidatorFunctionWrapHandler) -> CaptionOptions | None:
        """A choice checked when the job was made stays readable when the caption data changes later
        (a language or a length limit): the job must load; its export then says what no longer fits."""
        try:
            return cast(CaptionOptions | None, handler(v))
        except ValidationError:
            if not isinstance(v, Mapping):
                raise
            fields = set(CaptionOptions.model_fields)
            return CaptionOptions.model_construct(**{k: x for k, x in v.items() if k in fields})

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> JobOptions:
        return cls.model_validate(dict(raw or {}))


@dataclass
class ActionClip:
    """One emoji of the set: an action moving through pose -> clip -> frames -> cut-outs."""

    job_id: str
    index: int
    preset: ActionPreset
    status: ActionStatus = ActionStatus.PENDING
    attempts: int = 0
    error: str | None = None
    error_code: str | None = None  # the error's stable code (domain.errors); None on older records
    imported_clip: str | None = None  # a clip the user brought (path inside the job folder)
    seconds: int | None = None  # playback of the extracted loop
    frame_count: int = 0
    loop_start: int | None = None
    loop_score: float | None = None
    matte: MatteReport | None = None  # how the cut-outs were made: matte confidence, or own alpha
    updated_at: datetime | None = None
    provider_task: ProviderTask | None = None  # the billed cloud task made for its clip (id, state)

    @property
    def action_id(self) -> str:
        return self.preset.id


@dataclass
class Job:
    id: str
    status: JobStatus
    source: str  # "upload" | "prompt" | "sample"
    prompt: str | None = None
    remove_background: bool = True
    platforms: list[str] = field(default_factory=lambda: ["line-emoji"])
    auto_export: bool = True
    key_color: tuple[int, int, int] | None = None
    error: str | None = None
    error_code: str | None = None  # the error's stable code (domain.errors); None on older records
    created_at: datetime | None = None
    updated_at: datetime | None = None
    options: JobOptions = field(default_factory=JobOptions)
    actions: list[ActionClip] = field(default_factory=list)
    exports: dict[str, ExportSummary] = field(default_factory=dict)  # by preset id; brief copies
    usage: list[Usage] = field(default_factory=list)  # billed provider calls

    @property
    def cost(self) -> dict[str, float]:
        """Total reported cost per currency."""
        totals: dict[str, float] = {}
        for u in self.usage:
            if u.cost is not None and u.currency and not u.estimated:
                totals[u.currency] = totals.get(u.currency, 0.0) + u.cost
        return totals

    @property
    def failed_actions(self) -> list[ActionClip]:
        return [a for a in self.actions if a.status == ActionStatus.FAILED]

    @property
    def done_actions(self) -> list[ActionClip]:
        return [a for a in self.actions if a.status == ActionStatus.DONE]
