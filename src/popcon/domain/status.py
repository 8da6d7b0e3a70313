"""Job and action statuses and the transitions allowed between them.

The runner, the CLI and the web app all change statuses through `check_job_transition` /
`check_action_transition`, so an impossible move (a finished job going back to animating, say)
is an error at the place it is attempted, not a silent corruption of the record.
"""

from __future__ import annotations

from enum import StrEnum

from popcon.domain.errors import IllegalTransition


class JobStatus(StrEnum):
    QUEUED = "queued"
    GENERATING_CHARACTER = "generating_character"
    GENERATING_POSES = "generating_poses"
    ANIMATING = "animating"
    EXTRACTING = "extracting"
    MATTING = "matting"
    AWAITING_REFINEMENT = "awaiting_refinement"
    EXPORTING = "exporting"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in _JOB_TERMINAL

    @property
    def active(self) -> bool:
        """Work is scheduled or running (the runner owns the job)."""
        return self in JOB_WORK_STAGES or self in (JobStatus.QUEUED, JobStatus.EXPORTING)

    @property
    def at_rest(self) -> bool:
        """Nothing is left for the runner: finished, failed, canceled, or waiting for the user."""
        return self.terminal or self == JobStatus.AWAITING_REFINEMENT

    @property
    def exportable(self) -> bool:
        """The frames are cut out, so the set can be (re-)exported."""
        return self in _JOB_HAS_CUTOUTS

    @property
    def editable(self) -> bool:
        """The cut-outs exist and no stage writes them: the user may refine frames."""
        return self in _JOB_HAS_CUTOUTS

    @property
    def resumable(self) -> bool:
        """Resume has something to do: continue, or retry what failed (a set finished with errors)."""
        return self.active or self in (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.COMPLETED_WITH_ERRORS)


class ActionStatus(StrEnum):
    PENDING = "pending"
    POSING = "posing"
    ANIMATING = "animating"
    EXTRACTING = "extracting"
    MATTING = "matting"
    DONE = "done"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in (ActionStatus.DONE, ActionStatus.FAILED, ActionStatus.CANCELED)


# The job's working stages in order; the job's status is the least advanced stage of its live actions.
JOB_WORK_STAGES: tuple[JobStatus, ...] = (
    JobStatus.GENERATING_CHARACTER,
    JobStatus.GENERATING_POSES,
    JobStatus.ANIMATING,
    JobStatus.EXTRACTING,
    JobStatus.MATTING,
)
_JOB_TERMINAL = frozenset(
    {JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS, JobStatus.FAILED, JobStatus.CANCELED}
)

# The frames are cut out and the runner is not writing them: export and refinement are allowed.
_JOB_HAS_CUTOUTS = frozenset(
    {JobStatus.AWAITING_REFINEMENT, JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS}
)

# Which job stage an action in a given status belongs to.
ACTION_STAGE: dict[ActionStatus, JobStatus] = {
    ActionStatus.PENDING: JobStatus.GENERATING_POSES,
    ActionStatus.POSING: JobStatus.GENERATING_POSES,
    ActionStatus.ANIMATING: JobStatus.ANIMATING,
    ActionStatus.EXTRACTING: JobStatus.EXTRACTING,
    ActionStatus.MATTING: JobStatus.MATTING,
}

_STOP = {JobStatus.FAILED, JobStatus.CANCELED}
JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.GENERATING_CHARACTER, *_STOP}),
    JobStatus.GENERATING_CHARACTER: frozenset({JobStatus.GENERATING_POSES, *_STOP}),
    JobStatus.GENERATING_POSES: frozenset({JobStatus.ANIMATING, *_STOP}),
    JobStatus.ANIMATING: frozenset({JobStatus.EXTRACTING, *_STOP}),
    JobStatus.EXTRACTING: frozenset({JobStatus.MATTING, *_STOP}),
    JobStatus.MATTING: frozenset({JobStatus.AWAITING_REFINEMENT, JobStatus.EXPORTING, *_STOP}),
    # From review the user may finish (export) or retry failed actions (back to posing).
    JobStatus.AWAITING_REFINEMENT: frozenset({JobStatus.EXPORTING, JobStatus.GENERATING_POSES, *_STOP}),
    JobStatus.EXPORTING: frozenset(
        {JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS, JobStatus.AWAITING_REFINEMENT, *_STOP}
    ),
    # A finished set can be exported again (another platform) or have failed actions retried.
    JobStatus.COMPLETED: frozenset({JobStatus.EXPORTING}),
    JobStatus.COMPLETED_WITH_ERRORS: frozenset({JobStatus.EXPORTING, JobStatus.GENERATING_POSES}),
    # Resume: a failed or canceled job is queued again and continues where it stopped.
    JobStatus.FAILED: frozenset({JobStatus.QUEUED}),
    JobStatus.CANCELED: frozenset({JobStatus.QUEUED}),
}

_A_STOP = {ActionStatus.FAILED, ActionStatus.CANCELED}
ACTION_TRANSITIONS: dict[ActionStatus, frozenset[ActionStatus]] = {
    # An action with a clip the user brought skips posing and animating.
    ActionStatus.PENDING: frozenset({ActionStatus.POSING, ActionStatus.EXTRACTING, *_A_STOP}),
    ActionStatus.POSING: frozenset({ActionStatus.ANIMATING, *_A_STOP}),
    ActionStatus.ANIMATING: frozenset({ActionStatus.EXTRACTING, *_A_STOP}),
    ActionStatus.EXTRACTING: frozenset({ActionStatus.MATTING, *_A_STOP}),
    ActionStatus.MATTING: frozenset({ActionStatus.DONE, *_A_STOP}),
    ActionStatus.DONE: frozenset({ActionStatus.MATTING}),  # re-matte after a better matte lands
    ActionStatus.FAILED: frozenset({ActionStatus.PENDING}),  # retry
    ActionStatus.CANCELED: frozenset({ActionStatus.PENDING}),  # resume
}


def check_job_transition(current: JobStatus, new: JobStatus) -> None:
    if new not in JOB_TRANSITIONS[current]:
        raise IllegalTransition(f"a job cannot go from {current} to {new}")


def check_action_transition(current: ActionStatus, new: ActionStatus) -> None:
    if new not in ACTION_TRANSITIONS[current]:
        raise IllegalTransition(f"an action cannot go from {current} to {new}")


def job_path(current: JobStatus, target: JobStatus) -> list[JobStatus]:
    """The legal chain of working stages from `current` up to `target` (both work stages or queued)."""
    order = (JobStatus.QUEUED, *JOB_WORK_STAGES)
    i, j = order.index(current), order.index(target)
    return list(order[i + 1 : j + 1])
