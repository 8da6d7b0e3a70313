"""Rows written before the job's records had types still load, as the typed records.

The JSON below is what the previous code stored (copied from a `popcon make --sample` job on
line-emoji + telegram-emoji and a fox upload on line-sticker with captions and store text, plus a
DashScope clip task and a billed call from the cloud tests), shortened to one file per set. It is put
in the database with plain SQL, the way an older PopCon left it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from popcon.domain.captions import CaptionOptions, StoreText
from popcon.domain.exports import ExportedFile, ExportSummary, LeftOut
from popcon.domain.models import JobOptions
from popcon.domain.reports import CutoutReport, MatteReport, ProviderTask, Usage
from popcon.settings import Settings
from popcon.store.db import JobStore

JOB = "a86c77920cdd"
OLD_DIR = "/tmp/tr/data/jobs/a86c77920cdd/exports"  # the data folder it was written in (moved since)

OLD_OPTIONS = {
    "content_hash": "781064afa574dd678cd9e8462cdc44d237e397e24f86d3f4395354421b73bb01",
    "created_unix": 1796549107.8244908,
    "captions": {"enabled": True, "lang": "en", "text": {"wave": "Hi"}, "motion": "pop", "on_emoji": False},
    "submission": {"en": {"title": "Fox", "description": "Afox"}},
    "upload": "fox_on_white.jpg",
    "cutout": {"confidence": 1.0, "kind": "figure", "warning": None},
}
OLD_EXPORTS = {
    "line-sticker": {
        "dir": f"{OLD_DIR}/line-sticker",
        "zip": f"{OLD_DIR}/line-sticker.zip",
        "manifest": f"{OLD_DIR}/line-sticker/manifest.json",
        "preview": f"{OLD_DIR}/line-sticker/preview.html",
        "files": [
            {
                "file_name": "01.png",
                "action_id": "wave",
                "bytes": 226623,
                "frames": 20,
                "seconds": 2,
                "loops": 2,
                "valid": True,
            }
        ],
        "warnings": ["set has 1 items; LINE animated sticker needs at least 8 to be submitted"],
        "failed": [{"action_id": "jump", "label": "Jump", "error": "over 300000 bytes"}],
        "round": "fc13cfeabfea475187595be5b77e98e5",
    },
    # a summary from before export rounds and left-out actions were recorded
    "telegram-emoji": {
        "dir": f"{OLD_DIR}/telegram-emoji",
        "zip": f"{OLD_DIR}/telegram-emoji.zip",
        "files": [],
    },
}
OLD_USAGE = [
    {
        "provider": "dashscope",
        "model": "wan2.2-i2v-flash",
        "unit": "second",
        "quantity": 5.0,
        "cost": 0.5,
        "currency": "CNY",
        "estimated": False,
        "action": "wave",
    },
    {"provider": "gemini", "model": "gemini-3.1-flash-image", "unit": "image", "quantity": 1, "cost": 0.067,
     "currency": "USD", "estimated": False, "action": None},
]  # fmt: skip
OLD_MATTE = {
    "confidence": [0.93, 0.41],
    "min_confidence": 0.41,
    "low_frames": [1],
    "warning": "busy background",
}
OLD_TASK = {
    "provider": "dashscope",
    "state": "created",
    "what": "clip",
    "model": "wan2.2-i2v-flash",
    "request": {"resolution": "480P", "duration": 5},
    "fingerprint": "9f2c",
    "prompt_sha": "5d41402abc4b2a76",
    "sent_at": 1796549100.5,
    "task_id": "task-1",
    "created_at": 1796549101.0,
    "billed": True,
}
PRESET = {
    "id": "wave",
    "label": "Wave",
    "emoji": "👋",
    "start_pose_prompt": "the same character, full body head to toe, standing facing the viewer",
    "motion_prompt": "raises the right arm to shoulder height, waves the hand left-right three times",
    "recipe": {"motion": "wave", "effects": ["lines"], "seconds": 2, "intensity": 1.0},
    "custom": False,
}


def _insert_old_job(store: JobStore) -> None:
    def js(v: Any) -> str:
        return json.dumps(v)

    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO jobs (id, status, source, prompt, remove_background, platforms, auto_export, "
                "key_color, error, options, exports, usage, created_at, updated_at) VALUES (:id, "
                "'completed', 'upload', NULL, 1, :platforms, 1, NULL, NULL, :options, :exports, :usage, "
                "'2026-12-06 09:25:07', '2026-12-06 09:25:20')"
            ),
            {
                "id": JOB,
                "platforms": js(["line-sticker", "telegram-emoji"]),
                "options": js(OLD_OPTIONS),
                "exports": js(OLD_EXPORTS),
                "usage": js(OLD_USAGE),
            },
        )
        conn.execute(
            text(
                'INSERT INTO actions (job_id, "index", action_id, preset, status, attempts, frame_count, '
                "seconds, matte, provider_task, updated_at) VALUES (:id, 0, 'wave', :preset, 'done', 1, "
                "20, 2, :matte, :task, '2026-12-06 09:25:20')"
            ),
            {"id": JOB, "preset": js(PRESET), "matte": js(OLD_MATTE), "task": js(OLD_TASK)},
        )


def test_old_rows_load_as_typed_records(settings: Settings, store: JobStore) -> None:
    _insert_old_job(store)
    job = store.get_job(JOB)

    assert isinstance(job.options, JobOptions)
    assert (
        job.options.upload == "fox_on_white.jpg" and job.options.content_hash == OLD_OPTIONS["content_hash"]
    )
    assert job.options.captions == CaptionOptions(text={"wave": "Hi"})
    assert job.options.submission == {"en": StoreText(title="Fox", description="Afox")}
    assert job.options.cutout == CutoutReport(1.0, "figure", None)

    sticker = job.exports["line-sticker"]
    assert isinstance(sticker, ExportSummary) and sticker.preset == "line-sticker"
    assert sticker.zip == "line-sticker.zip"  # the absolute path became the name in the export folder
    assert sticker.round == "fc13cfeabfea475187595be5b77e98e5"
    assert sticker.files == [
        ExportedFile(file_name="01.png", action_id="wave", bytes=226623, frames=20, seconds=2, loops=2)
    ]
    assert sticker.files[0].valid and sticker.failed == [
        LeftOut(action_id="jump", label="Jump", error="over 300000 bytes")
    ]
    assert sticker.warnings[0].startswith("set has 1 items")
    older = job.exports["telegram-emoji"]
    assert (older.preset, older.zip, older.round, older.failed) == (
        "telegram-emoji",
        "telegram-emoji.zip",
        None,
        [],
    )

    assert job.usage == [
        Usage("dashscope", "wan2.2-i2v-flash", "second", 5.0, 0.5, "CNY", action="wave"),
        Usage("gemini", "gemini-3.1-flash-image", "image", 1.0, 0.067, "USD"),
    ]
    assert job.cost == {"CNY": 0.5, "USD": 0.067}

    (action,) = job.actions
    assert action.matte == MatteReport("matte", (0.93, 0.41), 0.41, (1,), "busy background")
    task = action.provider_task
    assert isinstance(task, ProviderTask) and task.task_id == "task-1" and task.billed
    assert task.to_json() == OLD_TASK  # handed back to the provider's ledger exactly as it wrote it


def test_old_rows_written_back_take_the_new_shape(settings: Settings, store: JobStore) -> None:
    """A summary recorded again replaces the old one in the new shape; the others keep loading."""
    _insert_old_job(store)
    job = store.get_job(JOB)
    store.record_export(JOB, job.exports["line-sticker"].model_copy(update={"round": "r2"}))
    store.update_job(JOB, options=job.options.model_copy(update={"idempotency_key": "k"}))
    with store.engine.begin() as conn:
        raw = json.loads(
            conn.execute(text("SELECT exports FROM jobs WHERE id = :id"), {"id": JOB}).scalar_one()
        )
    assert (
        set(raw["line-sticker"]) >= {"preset", "zip", "round", "files"} and "dir" not in raw["line-sticker"]
    )
    assert raw["line-sticker"]["zip"] == "line-sticker.zip"
    assert raw["telegram-emoji"] == OLD_EXPORTS["telegram-emoji"]  # untouched until recorded again
    again = store.get_job(JOB)
    assert again.exports["line-sticker"].round == "r2" and again.options.idempotency_key == "k"
    assert again.options.upload == "fox_on_white.jpg"


def test_a_manifest_of_every_age_reads_as_the_summary() -> None:
    """manifest.json as the export wrote it before the summary had a type, and an older one that listed
    extra images by name only and had no round, failed or captions."""
    today = {
        "preset": "line-emoji",
        "platform": "line",
        "created_unix": 1796549099,
        "zip": "line-emoji.zip",
        "round": "c70cf9f71024488a95326533196fab77",
        "warnings": [],
        "extra_images": ["tab.png"],
        "extra_rules": {"tab.png": [{"rule": "file_size", "passed": True, "measured": 6871, "limit": 300000,
                                     "severity": "error", "message": ""}]},
        "failed": [],
        "captions": {},
        "files": [{"file_name": "001.png", "action_id": "wave", "label": "Wave", "bytes": 147758,
                   "frames": 20, "seconds": 2, "loops": 2, "knobs": {"colours": 256}, "psnr_db": 53.36,
                   "encode_seconds": 2.8,
                   "rules": [{"rule": "canvas_size", "passed": False, "measured": "170x180",
                              "limit": "exactly 180x180", "severity": "error", "message": ""}],
                   "valid": False}],
    }  # fmt: skip
    summary = ExportSummary.from_json(today)
    assert summary.platform == "line" and summary.extra_rules["tab.png"][0].measured == 6871
    assert not summary.files[0].valid and summary.files[0].problems == ["canvas_size"]
    brief = summary.brief()  # what the job keeps: the failed rule stays, so the verdict reads the same
    assert summary.files[0].knobs is not None and summary.files[0].knobs.colours == 256
    assert brief.files[0].knobs is None and not brief.files[0].valid and brief.extra_rules == {}
    assert ExportSummary.from_json(json.loads(summary.manifest_json())) == summary

    older = {"preset": "telegram-emoji", "zip": "telegram-emoji.zip", "files": [{"name": "001.webm"}]}
    read = ExportSummary.from_json(older)
    assert read.files[0].file_name == "001.webm" and read.round is None and read.failed == []


def test_a_caption_choice_the_caption_data_no_longer_accepts_still_loads(store: JobStore) -> None:
    """The choice was checked when the job was made; a later captions.toml (a language dropped, a
    shorter limit) must not make the job unreadable: it loads as stored, and its export says why."""
    from popcon.domain.captions import caption_for
    from popcon.domain.errors import InvalidInput

    _insert_old_job(store)
    gone = {**OLD_OPTIONS["captions"], "lang": "tlh", "text": {"wave": "x" * 400}}
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE jobs SET options = :o WHERE id = :id"),
            {"o": json.dumps({**OLD_OPTIONS, "captions": gone}), "id": JOB},
        )
    (job,) = store.list_jobs()
    assert job.options.captions is not None and job.options.captions.lang == "tlh"
    assert job.options.upload == "fox_on_white.jpg"
    with pytest.raises(InvalidInput, match="tlh"):
        caption_for(job.options.captions, "bow", "sticker")
