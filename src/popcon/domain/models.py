"""Plain records of a job and its actions, as the pipeline and the shells see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from popcon.domain.actions import ActionPreset
from popcon.domain.reports import MatteReport
from popcon.domain.status import ActionStatus, JobStatus


@dataclass
class ActionClip:
    """One emoji of the set: an action moving through pose -> clip -> frames -> cut-outs."""

    job_id: str
    index: int
    preset: ActionPreset
    status: ActionStatus = ActionStatus.PENDING
    attempts: int = 0
    error: str | None = None
    imported_clip: str | None = None  # a clip the user brought (path inside the job folder)
    seconds: int | None = None  # playback of the extracted loop
    frame_count: int = 0
    loop_start: int | None = None
    loop_score: float | None = None
    matte: MatteReport | None = None  # how the cut-outs were made: matte confidence, or own alpha
    updated_at: datetime | None = None
    provider_task: dict[str, Any] | None = None  # the billed cloud task made for its clip (id, state)

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
    created_at: datetime | None = None
    updated_at: datetime | None = None
    options: dict[str, Any] = field(default_factory=dict)
    actions: list[ActionClip] = field(default_factory=list)
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    usage: list[dict[str, Any]] = field(default_factory=list)  # billed provider calls

    @property
    def cost(self) -> dict[str, float]:
        """Total reported cost per currency."""
        totals: dict[str, float] = {}
        for u in self.usage:
            if u.get("cost") is not None and u.get("currency") and not u.get("estimated"):
                totals[u["currency"]] = totals.get(u["currency"], 0.0) + float(u["cost"])
        return totals

    @property
    def failed_actions(self) -> list[ActionClip]:
        return [a for a in self.actions if a.status == ActionStatus.FAILED]

    @property
    def done_actions(self) -> list[ActionClip]:
        return [a for a in self.actions if a.status == ActionStatus.DONE]
