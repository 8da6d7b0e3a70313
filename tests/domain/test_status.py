import pytest

from popcon.domain.errors import IllegalTransition
from popcon.domain.status import (
    ACTION_TRANSITIONS,
    JOB_TRANSITIONS,
    ActionStatus,
    JobStatus,
    check_action_transition,
    check_job_transition,
    job_path,
)


def test_every_status_has_a_rule():
    assert set(JOB_TRANSITIONS) == set(JobStatus)
    assert set(ACTION_TRANSITIONS) == set(ActionStatus)


def test_forward_moves_are_legal():
    check_job_transition(JobStatus.QUEUED, JobStatus.GENERATING_CHARACTER)
    check_job_transition(JobStatus.MATTING, JobStatus.AWAITING_REFINEMENT)
    check_job_transition(JobStatus.AWAITING_REFINEMENT, JobStatus.EXPORTING)
    check_job_transition(JobStatus.EXPORTING, JobStatus.COMPLETED_WITH_ERRORS)
    check_action_transition(ActionStatus.PENDING, ActionStatus.EXTRACTING)  # imported clip


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (JobStatus.COMPLETED, JobStatus.ANIMATING),
        (JobStatus.MATTING, JobStatus.GENERATING_POSES),
        (JobStatus.QUEUED, JobStatus.COMPLETED),
        (JobStatus.CANCELED, JobStatus.EXPORTING),
        (JobStatus.ANIMATING, JobStatus.MATTING),  # skipping a stage must go through it
    ],
)
def test_illegal_job_transition_raises(a, b):
    with pytest.raises(IllegalTransition, match=f"from {a} to {b}"):
        check_job_transition(a, b)


def test_illegal_action_transition_raises():
    with pytest.raises(IllegalTransition):
        check_action_transition(ActionStatus.DONE, ActionStatus.POSING)
    with pytest.raises(IllegalTransition):
        check_action_transition(ActionStatus.POSING, ActionStatus.MATTING)


def test_terminal_states():
    assert JobStatus.COMPLETED.terminal and JobStatus.CANCELED.terminal
    assert not JobStatus.AWAITING_REFINEMENT.terminal
    assert ActionStatus.FAILED.terminal and not ActionStatus.MATTING.terminal


def test_job_path_walks_each_stage():
    assert job_path(JobStatus.GENERATING_POSES, JobStatus.MATTING) == [
        JobStatus.ANIMATING,
        JobStatus.EXTRACTING,
        JobStatus.MATTING,
    ]


def test_status_predicates() -> None:
    from popcon.domain.status import JobStatus as S

    cut_out = {S.AWAITING_REFINEMENT, S.COMPLETED, S.COMPLETED_WITH_ERRORS}
    assert {s for s in S if s.exportable} == cut_out == {s for s in S if s.editable}
    assert {s for s in S if s.at_rest} == cut_out | {S.FAILED, S.CANCELED}
    assert all(s.at_rest != s.active for s in S)
