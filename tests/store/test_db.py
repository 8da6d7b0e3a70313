import threading

import pytest

from popcon.domain.actions import resolve_actions
from popcon.domain.errors import IllegalTransition, InvalidInput, NotFound
from popcon.domain.models import JobOptions
from popcon.domain.reports import MatteReport, ProviderTask
from popcon.domain.status import ActionStatus, JobStatus
from popcon.store.db import JobStore


def _job(store: JobStore):
    return store.create_job(
        source="sample", actions=resolve_actions(["wave", "jump"]), platforms=["line-emoji"]
    )


def test_create_and_read_back(store):
    job = _job(store)
    again = store.get_job(job.id)
    assert again.status == JobStatus.QUEUED
    assert [a.action_id for a in again.actions] == ["wave", "jump"]
    assert again.actions[0].preset.motion_prompt
    assert store.list_jobs()[0].id == job.id


def test_state_survives_a_new_store_on_the_same_database(settings, store):
    job = _job(store)
    store.set_job_status(job.id, JobStatus.GENERATING_CHARACTER)
    store.update_job(job.id, key_color=(0, 200, 50))
    other = JobStore(settings.db_url)
    j = other.get_job(job.id)
    assert j.status == JobStatus.GENERATING_CHARACTER and j.key_color == (0, 200, 50)
    other.close()


def test_illegal_transition_is_refused_and_nothing_changes(store):
    job = _job(store)
    with pytest.raises(IllegalTransition):
        store.set_job_status(job.id, JobStatus.COMPLETED)
    assert store.get_job(job.id).status == JobStatus.QUEUED
    with pytest.raises(IllegalTransition):
        store.set_action_status(job.id, 0, ActionStatus.DONE)
    assert store.get_action(job.id, 0).status == ActionStatus.PENDING


def test_bad_and_unknown_ids(store):
    with pytest.raises(InvalidInput):
        store.get_job("../../etc")
    with pytest.raises(NotFound):
        store.get_job("0123456789ab")
    job = _job(store)
    with pytest.raises(NotFound):
        store.get_action(job.id, 7)


def test_lease_is_exclusive_until_released(store):
    job = _job(store)
    assert store.claim(job.id, "a")
    assert not store.claim(job.id, "b")
    assert store.claim(job.id, "a")  # renew
    store.release(job.id, "a")
    assert store.claim(job.id, "b")


def test_expired_lease_can_be_taken(store):
    job = _job(store)
    assert store.claim(job.id, "dead", ttl=-1)
    assert store.claim(job.id, "alive")


def test_concurrent_status_moves_only_one_wins(store):
    job = _job(store)
    results = []

    def move():
        try:
            store.set_action_status(job.id, 0, ActionStatus.POSING)
            results.append("ok")
        except IllegalTransition:
            results.append("refused")

    threads = [threading.Thread(target=move) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_action(job.id, 0).status == ActionStatus.POSING
    assert "ok" in results


def test_an_id_with_a_trailing_newline_is_refused(store):
    job = store.create_job(source="sample", actions=resolve_actions(["wave"]), platforms=["line-emoji"])
    with pytest.raises(InvalidInput):
        store.get_job(job.id + "\n")


@pytest.mark.parametrize("limit", [0, -5, 10**23])
def test_list_limits_are_bounded(store, limit):
    with pytest.raises(InvalidInput, match="limit"):
        store.list_jobs(limit)


def test_an_actions_cloud_task_is_kept_with_it(settings, store):
    job = _job(store)
    record = ProviderTask(provider="dashscope", state="created", task_id="t-1", billed=False)
    store.update_action(job.id, 0, provider_task=record)
    again = JobStore(settings.db_url)  # another process sees it (a restarted runner)
    assert again.get_action(job.id, 0).provider_task == record
    assert again.get_action(job.id, 1).provider_task is None
    again.close()
    store.update_action(job.id, 0, provider_task=None)
    assert store.get_action(job.id, 0).provider_task is None


def test_a_database_at_0002_gains_the_task_column(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from popcon.store.db import make_engine
    from popcon.store.migrations import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
    assert "provider_task" not in {c["name"] for c in inspect(engine).get_columns("actions")}
    engine.dispose()
    store = JobStore(url)
    job = _job(store)
    task = ProviderTask(provider="dashscope", state="created", task_id="t-9")
    store.update_action(job.id, 0, provider_task=task)
    assert store.get_action(job.id, 0).provider_task == task
    store.close()


def test_matte_report_is_kept_with_the_action(store):
    job = _job(store)
    report = MatteReport("matte", (0.4, 0.9), 0.4, (0,), "w")
    store.update_action(job.id, 1, matte=report)
    assert store.get_action(job.id, 1).matte == report
    assert store.get_job(job.id).actions[0].matte is None
    # A report stored before it had a type (and before `source`) still loads, as the matte's.
    old = {"confidence": [0.4, 0.9], "min_confidence": 0.4, "low_frames": [0], "warning": "w"}
    store.update_action(job.id, 0, matte=old)
    assert store.get_action(job.id, 0).matte == report
    alpha = MatteReport.own_alpha(3)
    store.update_action(job.id, 1, matte=alpha)
    assert store.get_action(job.id, 1).matte == alpha and alpha.min_confidence == 1.0 and not alpha.low_frames


def test_delete_job_removes_it_and_its_actions(store):
    job = _job(store)
    other = _job(store)
    store.delete_job(job.id)
    with pytest.raises(NotFound):
        store.get_job(job.id)
    with pytest.raises(NotFound):
        store.get_action(job.id, 0)
    assert [j.id for j in store.list_jobs()] == [other.id]
    with pytest.raises(NotFound):
        store.delete_job(job.id)


def test_job_options_are_replaced_only_by_a_typed_record(store):
    """A plain dict would skip every check and None would drop the upload's name: both are refused,
    and the stored options are left as they were."""
    job = store.create_job(
        source="upload", actions=resolve_actions(["wave"]), platforms=["line-emoji"],
        options=JobOptions(upload="fox.png"),
    )  # fmt: skip
    for bad in ({"upload": "other.png"}, None):
        with pytest.raises(TypeError, match="must be JobOptions"):
            store.update_job(job.id, options=bad)
    assert store.get_job(job.id).options.upload == "fox.png"
    store.update_job(job.id, options=JobOptions(upload="fox.png", reference="ref.png"))
    assert store.get_job(job.id).options.reference == "ref.png"


def test_an_error_keeps_its_code_and_rows_from_before_codes_load_with_text_only(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from popcon.store.db import make_engine
    from popcon.store.migrations import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
    with engine.begin() as conn:  # a row as 0004 left it: an error, no code column yet
        conn.execute(
            text(
                "INSERT INTO jobs (id, status, source, remove_background, platforms, auto_export, error, "
                "options, exports, usage, created_at, updated_at) VALUES ('0123456789ab', 'failed', "
                "'sample', 1, '[]', 1, 'every action failed (wave: boom)', '{}', '{}', '[]', "
                "'2026-12-06 09:00:00', '2026-12-06 09:00:00')"
            )
        )
    engine.dispose()
    store = JobStore(url)
    before = store.get_job("0123456789ab")
    assert before.error == "every action failed (wave: boom)" and before.error_code is None
    job = _job(store)
    store.set_action_status(job.id, 0, ActionStatus.POSING)
    a = store.set_action_status(
        job.id, 0, ActionStatus.FAILED, error="refused", error_code="provider_refused"
    )
    assert (a.error, a.error_code) == ("refused", "provider_refused")
    store.set_job_status(job.id, JobStatus.CANCELED, error="canceled by the user", error_code="canceled")
    assert store.get_job(job.id).error_code == "canceled"
    store.close()
