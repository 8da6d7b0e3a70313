"""The runner against the real SQLite store and the real offline providers.

Failures are injected with small providers that wrap the offline ones, the way a flaky cloud
service would behave; nothing in the store or the stages is faked.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from popcon.animation.animator import render_clip
from popcon.domain.actions import resolve_actions
from popcon.domain.errors import InvalidInput, JobBusy, TransientError
from popcon.domain.events import Event
from popcon.domain.models import JobOptions
from popcon.domain.platforms import get_platform
from popcon.domain.status import ActionStatus, JobStatus
from popcon.media.validate import validate_apng
from popcon.providers.base import Usage
from popcon.providers.cloud.http import ModerationError
from popcon.providers.offline.provider import OfflineVideoProvider
from popcon.queue.embedded import EmbeddedRunner
from popcon.store.files import JobFiles

from ..conftest import SAMPLES


class FlakyVideo(OfflineVideoProvider):
    """Fails some actions for good and others a few times before working."""

    def __init__(self, settings, fail=(), transient=None, block=None, refuse=()):
        super().__init__(settings)
        self.fail = set(fail)
        self.refuse = set(refuse)
        self.transient = dict(transient or {})
        self.block = block
        self.calls: dict[str, int] = {}

    def animate(self, request):
        action, check_cancel = request.action, request.check_cancel
        self.calls[action.id] = self.calls.get(action.id, 0) + 1
        request.on_usage(Usage("flaky", "test-model", "second", 2.0, cost=0.2, currency="CNY"))
        if self.block is not None:
            self.block.set()
            for _ in range(500):
                check_cancel()
                threading.Event().wait(0.01)
        if action.id in self.fail:
            raise RuntimeError("the service refused this prompt")
        if action.id in self.refuse:
            raise ModerationError("content inspection: the output was rejected")
        if self.transient.get(action.id, 0) > 0:
            self.transient[action.id] -= 1
            raise TransientError("429 Throttling")
        return super().animate(request)


def _upload_job(settings, store, actions, **kw):
    job = store.create_job(
        source="upload",
        actions=resolve_actions(actions),
        platforms=["line-emoji"],
        options=JobOptions(),
        **kw,
    )
    files = JobFiles(settings.data_dir, job.id)
    name = files.save_input("fox.png", (SAMPLES / "fox.png").read_bytes()).name
    store.update_job(job.id, options=JobOptions(upload=name))
    return job


def test_a_job_runs_to_a_valid_line_set(settings, store):
    job = _upload_job(settings, store, ["wave", "jump"])
    events: list[Event] = []
    runner = EmbeddedRunner(settings, store)
    runner.bus.subscribe(events.append)
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.COMPLETED, done.error
    assert [a.status for a in done.actions] == [ActionStatus.DONE, ActionStatus.DONE]
    files = JobFiles(settings.data_dir, job.id)
    assert (files.exports_dir / "line-emoji.zip").is_file()
    for f in ("001.png", "002.png"):
        data = (files.exports_dir / "line-emoji" / f).read_bytes()
        results = validate_apng(data, get_platform("line-emoji"))
        assert all(r.passed for r in results), [r for r in results if not r.passed]
    statuses = [e.status for e in events if e.kind == "job"]
    assert statuses[:3] == ["generating_character", "generating_poses", "animating"]
    assert statuses[-2:] == ["exporting", "completed"]
    # the upload is kept exactly as it came
    assert (files.input_dir / "fox.png").read_bytes() == (SAMPLES / "fox.png").read_bytes()


def test_one_failing_action_does_not_sink_the_set(settings, store):
    job = _upload_job(settings, store, ["wave", "cry", "jump"])
    video = FlakyVideo(settings, fail={"cry"})
    runner = EmbeddedRunner(settings, store, video=video)
    done = runner.run_job(job.id)
    assert done.status == JobStatus.COMPLETED_WITH_ERRORS
    by_id = {a.action_id: a for a in done.actions}
    assert by_id["cry"].status == ActionStatus.FAILED and "refused" in by_id["cry"].error
    assert by_id["wave"].status == by_id["jump"].status == ActionStatus.DONE
    assert video.calls["cry"] == 1  # a hard error is not retried
    files = JobFiles(settings.data_dir, job.id)
    assert sorted(p.name for p in (files.exports_dir / "line-emoji").glob("0*.png")) == ["001.png", "002.png"]

    # retry the failed action alone: the others are not redone
    video.fail.clear()
    before = {a: video.calls[a] for a in ("wave", "jump")}
    store.set_job_status(job.id, JobStatus.GENERATING_POSES)
    store.set_action_status(job.id, by_id["cry"].index, ActionStatus.PENDING)
    again = runner.run_job(job.id)
    runner.close()
    assert again.status == JobStatus.COMPLETED
    assert {a: video.calls[a] for a in ("wave", "jump")} == before
    assert video.calls["cry"] == 2


def test_failures_keep_a_stable_code_beside_their_text(settings, store):
    """The code comes from the error's class (a bug's is `internal`); the job's from its outcome."""
    job = _upload_job(settings, store, ["wave", "cry", "jump"])
    events: list[Event] = []
    runner = EmbeddedRunner(settings, store, video=FlakyVideo(settings, fail={"jump"}, refuse={"cry"}))
    runner.bus.subscribe(events.append)
    done = runner.run_job(job.id)
    by_id = {a.action_id: a for a in done.actions}
    assert (by_id["cry"].error_code, by_id["cry"].error) == (
        "provider_refused",
        "content inspection: the output was rejected",
    )
    assert by_id["jump"].error_code == "internal" and "RuntimeError" in (by_id["jump"].error or "")
    assert by_id["wave"].error is None and by_id["wave"].error_code is None
    assert done.status == JobStatus.COMPLETED_WITH_ERRORS and done.error_code == "actions_failed"
    failed = {e.action_id: e.code for e in events if e.kind == "action" and e.status == "failed"}
    assert failed == {"cry": "provider_refused", "jump": "internal"}

    runner.close()
    nothing = _upload_job(settings, store, ["cry"])
    runner = EmbeddedRunner(settings, store, video=FlakyVideo(settings, refuse={"cry"}))
    out = runner.run_job(nothing.id)
    runner.close()
    assert out.status == JobStatus.FAILED and out.error_code == "all_actions_failed"
    assert "content inspection" in (out.error or "")


def test_transient_errors_are_retried_with_backoff(settings, store):
    job = _upload_job(settings, store, ["nod"])
    video = FlakyVideo(settings, transient={"nod": 2})
    runner = EmbeddedRunner(settings, store, video=video)
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.COMPLETED
    assert video.calls["nod"] == 3
    assert len(done.usage) == 3 and done.usage[0].action == "nod"
    assert done.cost == {"CNY": pytest.approx(0.6)}


def test_transient_errors_give_up_after_the_limit(settings, store):
    job = _upload_job(settings, store, ["nod", "wave"])
    video = FlakyVideo(settings, transient={"nod": 99})
    runner = EmbeddedRunner(settings, store, video=video)
    done = runner.run_job(job.id)
    runner.close()
    assert video.calls["nod"] == settings.max_retries + 1
    assert done.actions[0].status == ActionStatus.FAILED and "429" in done.actions[0].error
    assert done.status == JobStatus.COMPLETED_WITH_ERRORS


def test_cancel_stops_work_promptly(settings, store):
    job = _upload_job(settings, store, ["wave", "jump"])
    started = threading.Event()
    runner = EmbeddedRunner(settings, store, video=FlakyVideo(settings, block=started))
    future = runner.submit(job.id)
    assert started.wait(30)
    runner.cancel(job.id)
    done = future.result(timeout=10)  # the blocked stage notices the cancel within ~0.2 s
    runner.close()
    assert done.status == JobStatus.CANCELED
    assert all(a.status == ActionStatus.CANCELED for a in done.actions)
    with pytest.raises(InvalidInput):
        runner.cancel(job.id)


def test_a_job_held_by_another_runner_is_refused(settings, store):
    job = _upload_job(settings, store, ["wave"])
    assert store.claim(job.id, "someone-else")
    with pytest.raises(JobBusy):
        EmbeddedRunner(settings, store).run_job(job.id)


def test_bad_upload_fails_the_job_with_a_clear_reason(settings, store):
    job = store.create_job(source="upload", actions=resolve_actions(["wave"]), platforms=["line-emoji"])
    files = JobFiles(settings.data_dir, job.id)
    name = files.save_input("broken.png", b"\x89PNG\r\n\x1a\n garbage").name
    store.update_job(job.id, options=JobOptions(upload=name))
    done = EmbeddedRunner(settings, store).run_job(job.id)
    assert done.status == JobStatus.FAILED and "character" in done.error


def test_refine_mode_stops_before_export_and_exports_later(settings, store):
    job = _upload_job(settings, store, ["love"], auto_export=False)
    runner = EmbeddedRunner(settings, store)
    done = runner.run_job(job.id)
    assert done.status == JobStatus.AWAITING_REFINEMENT and not done.exports
    exported = runner.export(job.id, ["line-emoji"])
    runner.close()
    assert exported.status == JobStatus.COMPLETED and "line-emoji" in exported.exports


def test_imported_clip_skips_posing_and_animating(settings, store, tmp_path: Path):
    # make a clip with the offline animator, then bring it in as the user's own
    from PIL import Image

    from popcon.domain.actions import load_presets

    clip = tmp_path / "mine.mp4"
    render_clip(
        Image.open(SAMPLES / "frog.png"),
        load_presets()["dance"].recipe,
        clip,
        background=(255, 0, 255),
        size=256,
    )
    job = store.create_job(
        source="upload",
        actions=resolve_actions(["dance"]),
        platforms=["line-emoji"],
        imported_clips={"dance": "clip-dance.mp4"},
    )
    files = JobFiles(settings.data_dir, job.id)
    shutil.copyfile(clip, files.input_dir.mkdir(parents=True) or files.input_dir / "clip-dance.mp4")
    name = files.save_input("frog.png", (SAMPLES / "frog.png").read_bytes()).name
    store.update_job(job.id, options=JobOptions(upload=name))
    done = EmbeddedRunner(settings, store).run_job(job.id)
    assert done.status == JobStatus.COMPLETED, done.error
    assert not files.pose(0, "dance").exists()
    assert files.clip(0, "dance").read_bytes() == clip.read_bytes()


def test_a_cancel_before_the_job_starts_is_not_undone(settings, store):
    """The pool may start a job after the user canceled it: running it must not resume it."""
    job = _upload_job(settings, store, ["wave"])
    runner = EmbeddedRunner(settings, store)
    runner.cancel(job.id)
    assert runner.run_job(job.id).status == JobStatus.CANCELED
    resumed = runner.run_job(job.id, resume=True)  # an explicit resume does bring it back
    runner.close()
    assert resumed.status == JobStatus.COMPLETED


def test_a_cancel_while_the_character_is_made_ends_canceled_and_quiet(settings, store, monkeypatch):
    """The user cancels while the character is prepared and the stage still finishes: the job stays
    canceled, with the user's reason, and nothing tries to move it on (the log showed 'a job cannot go
    from canceled to generating_poses')."""
    from popcon.pipeline import stages

    job = _upload_job(settings, store, ["wave"])
    runner = EmbeddedRunner(settings, store)
    events: list[Event] = []
    runner.bus.subscribe(events.append)
    made = stages.make_character

    def cancel_meanwhile(ctx, j):  # type: ignore[no-untyped-def]
        out = made(ctx, j)
        runner.cancel(j.id)
        return out

    monkeypatch.setattr(stages, "make_character", cancel_meanwhile)
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.CANCELED
    assert done.error == "canceled by the user"
    assert not [e for e in events if "cannot go from" in (e.message or "")]
    assert all(a.status == ActionStatus.PENDING for a in store.get_job(job.id).actions)


def test_resume_retries_the_failed_actions_of_a_set_finished_with_errors(settings, store):
    job = _upload_job(settings, store, ["wave", "cry"])
    video = FlakyVideo(settings, fail={"cry"})
    runner = EmbeddedRunner(settings, store, video=video)
    assert runner.run_job(job.id).status == JobStatus.COMPLETED_WITH_ERRORS
    video.fail.clear()
    again = runner.run_job(job.id, resume=True)  # what `popcon jobs resume` and the web resume do
    runner.close()
    assert again.status == JobStatus.COMPLETED, again.error
    assert video.calls == {"wave": 1, "cry": 2}
    files = JobFiles(settings.data_dir, job.id)
    assert sorted(p.name for p in (files.exports_dir / "line-emoji").glob("0*.png")) == ["001.png", "002.png"]


def test_cancel_during_export_publishes_nothing(settings, store):
    job = _upload_job(settings, store, ["wave", "jump"])
    runner = EmbeddedRunner(settings, store)

    def cancel_once_export_runs(e: Event) -> None:
        if e.kind == "export" and e.status == "running":
            runner.cancel(job.id)

    runner.bus.subscribe(cancel_once_export_runs)
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.CANCELED
    exports = JobFiles(settings.data_dir, job.id).exports_dir
    assert not exports.exists() or list(exports.iterdir()) == []  # no set, no ZIP, no staging left
