"""The web app in Japanese and Korean (issue 24): every page walked in headless Chromium with the
browser's language set, failing on any text still in English; a language switch that keeps the page
(no reload) and re-words dynamic texts; a caption typed on the create page reaching the job.

Screenshots at 1280x800 and 390x844 land in test-artifacts/screenshots/i18n-*.png.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from popcon.domain.exports import LeftOut, RuleResult, WarningCode
from popcon.domain.status import ActionStatus
from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.store.files import JobFiles
from tests.helpers.web import FOX, export_live, live_api, shot, start_live_job, wait_live_rest
from tests.web.conftest import LIVE_DATA
from tests.web.i18n_check import NEUTRAL, UNTRANSLATED
from tests.web.test_browser_a11y import AXE, run_axe
from tests.web.test_browser_security import token_server  # noqa: F401  (the token-protected server)

pytestmark = pytest.mark.slow
STATIC = Path(__file__).resolve().parents[2] / "src" / "popcon" / "web" / "static" / "i18n"
WAVE_JUMP = ["wave", "jump"]
SIZES = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def catalogue(lang: str) -> dict[str, str]:
    return json.loads((STATIC / f"{lang}.json").read_text(encoding="utf-8"))


def fragment(message: str) -> str:
    """The longest stretch of a message between its placeholders (what any wording of it shows)."""
    return max(re.split(r"\{\w+\}", message), key=len).strip()


@pytest.fixture(scope="module")
def jobs(live_server: str) -> dict[str, str]:
    """A job waiting for review, one exported (LINE emoji without captions, LINE stickers with) and
    one canceled."""
    review = start_live_job(live_server, WAVE_JUMP, "line-emoji,line-sticker")
    ko = json.dumps({"lang": "ko"})
    done = start_live_job(live_server, WAVE_JUMP, "line-emoji,line-sticker", captions=ko)
    assert wait_live_rest(live_server, review)["status"] == "awaiting_refinement"
    assert wait_live_rest(live_server, done)["status"] == "awaiting_refinement"
    assert export_live(live_server, done)["status"] == "completed"
    canceled = start_live_job(live_server, WAVE_JUMP, "line-emoji")
    with live_api(live_server) as c:
        assert c.post(f"/jobs/{canceled}/cancel").status_code == 200
    assert wait_live_rest(live_server, canceled)["status"] == "canceled"
    ja = json.dumps({"lang": "ja"})  # not a repeat of the others
    troubled = start_live_job(live_server, WAVE_JUMP, "line-emoji", captions=ja)
    assert wait_live_rest(live_server, troubled)["status"] == "awaiting_refinement"
    assert export_live(live_server, troubled)["status"] == "completed"
    record_troubles(LIVE_DATA[live_server], troubled)
    return {"review": review, "done": done, "canceled": canceled, "troubled": troubled}


def record_troubles(data: Path, job_id: str) -> None:
    """Give an exported job the failures the engine records when things go wrong, as it records them
    (the offline pipeline never fails on the fox): an action a provider refused, a set whose second
    action did not fit the byte budget, a file that breaks a rule and one with a rule warning, and
    their lines in the activity log. The pages must word every one from its code."""
    store = JobStore(Settings(data_dir=data).db_url)
    try:
        job = store.get_job(job_id)
        store.set_action_status(job_id, 1, ActionStatus.MATTING)
        refused = "content inspection: the output was rejected"
        store.set_action_status(job_id, 1, ActionStatus.FAILED, error=refused, error_code="provider_refused")
        store.update_job(job_id, error="1 action(s) failed: retry them alone", error_code="actions_failed")
        ex = job.exports["line-emoji"]
        first = ex.files[0]
        rules = [
            *first.rules,
            RuleResult("file_size", False, 312004, 300000),
            RuleResult("first_last_similar", False, {"seam_ratio": 3.1}, "<= 2.0", "warning", "loop jumps"),
        ]
        over = "cannot fit: the smallest encoding was 999999 bytes"
        warnings = [
            *ex.warnings,
            f"jump left out of the set: {over}",
            f"{first.file_name}: loop jumps (measured {{'seam_ratio': 3.1}}, want <= 2.0)",
        ]
        params = {"platform": "line-emoji", "name": "LINE Emoji"}
        codes = [
            *ex.warning_codes,
            WarningCode(code="left_out", params={**params, "action": "jump", "reason": "over_budget"}),
            WarningCode(
                code="file_rule",
                params={
                    **params,
                    "file": first.file_name,
                    "rule": "first_last_similar",
                    "measured": "{'seam_ratio': 3.1}",
                    "limit": "<= 2.0",
                },
            ),
        ]
        store.record_export(
            job_id,
            ex.model_copy(
                update={
                    "files": [first.model_copy(update={"rules": rules})],
                    "failed": [LeftOut(action_id="jump", label="Jump", error=over, code="over_budget")],
                    "warnings": warnings,
                    "warning_codes": codes,
                }
            ),
        )
        log = JobFiles(data, job_id)
        at = time.time()
        for entry in (
            {
                "kind": "action",
                "status": "failed",
                "action_index": 1,
                "action_id": "jump",
                "code": "provider_refused",
            },
            {
                "kind": "export",
                "status": "failed",
                "message": f"telegram-emoji: {over}",
                "code": "over_budget",
            },
            {"kind": "job", "status": "completed_with_errors", "code": "actions_failed"},
        ):
            message = entry.pop("message", None) or (
                refused if entry["kind"] == "action" else "1 action(s) failed"
            )
            log.append_activity({"job_id": job_id, "message": message, "at": at, **entry})
    finally:
        store.close()


def context(browser, lang: str, size: str):  # type: ignore[no-untyped-def]
    phone = size == "phone"
    return browser.new_context(
        viewport=SIZES[size],
        locale=lang,
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
    )


def untranslated(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(300)  # late texts (estimates, counts) land
    return page.evaluate(UNTRANSLATED, NEUTRAL)


@pytest.mark.parametrize("lang", ["ja", "ko"])
@pytest.mark.parametrize("size", ["desk", "phone"])
def test_every_page_is_in_the_browsers_language(
    live_server: str, browser, jobs: dict[str, str], lang: str, size: str, screenshots: Path
) -> None:  # type: ignore[no-untyped-def]
    ctx = context(browser, lang, size)
    page = ctx.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    cat = catalogue(lang)
    review, done = jobs["review"], jobs["done"]
    visits = [
        ("create", "/create", "#captions [data-caption='wave']"),
        ("jobs", "/jobs", f"[data-job='{done}']"),
        ("job-review", f"/job/{review}", "#review"),
        ("refine", f"/refine/{review}", "#frame-label[data-shown]"),
        ("job-done", f"/job/{done}", "#see-results"),
        ("job-canceled", f"/job/{jobs['canceled']}", "#resume"),
        ("results", f"/results/{done}", "#captions-view"),
        ("job-troubled", f"/job/{jobs['troubled']}", "#action-cards .err"),
        ("results-troubled", f"/results/{jobs['troubled']}", ".warnings"),
        ("not-found", "/404", "#not-found"),
        ("unknown-job", "/job/0123456789ab", ".panel.empty .msg"),
    ]
    left: dict[str, list[str]] = {}
    for name, path, ready in visits:
        page.goto(f"{live_server}{path}")
        page.wait_for_selector(ready, timeout=60_000)
        assert page.evaluate("document.documentElement.lang") == lang
        if bad := untranslated(page):
            left[name] = bad
        if size == "desk" and AXE.exists():  # the translated page is as accessible as the English one
            assert not (found := run_axe(page)), f"{name} in {lang}: {found}"
        shot(page, screenshots / f"i18n-{lang}-{name}-{size}.png")
        overflow = page.evaluate("document.documentElement.scrollWidth") - SIZES[size]["width"]
        assert overflow <= 1, f"{name} scrolls sideways by {overflow}px in {lang}"
        if name == "create":
            assert page.inner_text("h1") == cat["create.title"]
            # The other half of the create page: a picked image (cut-out, rig editor), then a prompt.
            page.set_input_files("#file-input", str(FOX))
            page.wait_for_selector("#cutout-preview", timeout=60_000)
            page.wait_for_selector("#rig-editor", timeout=60_000)
            if bad := untranslated(page):
                left["create-with-image"] = bad
            shot(page, screenshots / f"i18n-{lang}-create-image-{size}.png")
            page.click("[data-source='prompt']")
            page.wait_for_selector("#prompt")
            page.fill("#prompt", "x" * 2001)
            if bad := untranslated(page):
                left["create-prompt"] = bad
        if name == "results":
            assert cat["results.before_submit"] in page.inner_text(".warnings")
            assert cat["warning.set_too_small"].split("{")[0] in page.inner_text(".warnings")
        if name == "job-troubled":  # the failure in this language, the server's English beside it
            err = page.inner_text("#action-cards .err")
            assert cat["error.provider_refused"] in err and "content inspection" in err
            assert cat["error.over_budget"] in page.inner_text(".log")
        if name == "results-troubled":
            notes = page.inner_text(".warnings")
            assert fragment(cat["warning.left_out"]) in notes
            assert cat["rule.first_last_similar"] in notes
            assert fragment(cat["rule.file_size"]) in page.inner_text(".ecard .err")
    ctx.close()
    assert not left, f"English left on the {lang} pages: {json.dumps(left, ensure_ascii=False, indent=1)}"
    assert not page_errors, page_errors


def test_language_switch_keeps_the_page_and_rewords_it(
    live_server: str, browser, jobs: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    ctx = context(browser, "en-US", "desk")
    page = ctx.new_page()
    page.goto(f"{live_server}/create")
    page.wait_for_selector("#captions [data-caption='wave']")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.input_value("#caption-lang") == "en"
    en, ko, ja = catalogue("en"), catalogue("ko"), catalogue("ja")
    # State the page holds: a JS variable, a typed caption, an unticked action, a navigation count.
    page.evaluate("window.__kept = 42")
    page.fill("[data-caption='wave']", "Hiya!")
    page.click("[data-action='laugh']")
    page.wait_for_function("!document.querySelector(\"[data-caption='laugh']\")")
    navigations = page.evaluate("performance.getEntriesByType('navigation').length")

    page.select_option("#lang-select", "ko")
    page.wait_for_function("document.documentElement.lang === 'ko'")
    assert page.inner_text("h1") == ko["create.title"]
    assert page.inner_text("#submit") == ko["create.submit"]
    assert page.evaluate("window.__kept") == 42, "the page was reloaded"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == navigations
    assert page.input_value("[data-caption='wave']") == "Hiya!"  # typed text stays
    assert page.input_value("#caption-lang") == "ko"  # the caption language follows until picked
    with live_api(live_server) as c:
        defaults = c.get("/captions").json()["captions"]
    assert page.input_value("[data-caption='jump']") == defaults["jump"]["ko"]  # untouched: the new default
    assert page.title() == ko["app.title"]
    # A paid provider's estimate: worded from its numbers here, the server's sentence in English.
    est = {
        "offline": False,
        "totals": {"USD": 0.1234},
        "lines": [{"cost": 0.12, "currency": "USD"}, {"cost": None, "currency": None}],
        "text": "about USD 0.12 + models without a listed price (estimate); veo: no price for the region",
    }
    cost = "est => import('/static/js/views/create.js').then(m => String(m.costText(est)))"
    worded = ko["create.cost_about_partial"].replace("{amount}", "USD 0.12")
    assert page.evaluate(cost, est) == ko["create.cost"].replace("{text}", worded)
    assert untranslated(page) == []
    assert page.evaluate("localStorage.getItem('popcon.lang')") == "ko"

    # A page whose texts change on their own: the job's status and tracker are re-worded too.
    page.goto(f"{live_server}/job/{jobs['review']}")
    page.wait_for_selector("#review")
    assert page.evaluate("document.documentElement.lang") == "ko"  # remembered across pages
    page.evaluate("window.__kept = 7")
    page.select_option("#lang-select", "ja")
    page.wait_for_function("document.documentElement.lang === 'ja'")
    assert page.inner_text("#job-status") == ja["status.awaiting_refinement"]
    assert ja["stage.awaiting_refinement"] in page.inner_text("#tracker-caption")
    assert page.evaluate("window.__kept") == 7
    assert untranslated(page) == []
    page.select_option("#lang-select", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.inner_text("#job-status") == en["status.awaiting_refinement"]
    assert page.evaluate(cost, est) == f"Cost: {est['text']}"
    page.reload()
    page.wait_for_selector("#review")
    assert page.evaluate("document.documentElement.lang") == "en"
    ctx.close()


def test_browser_language_picks_the_ui_language(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    for locale, lang in (("ko-KR", "ko"), ("ja-JP", "ja"), ("fr-FR", "en")):
        ctx = context(browser, locale, "desk")
        page = ctx.new_page()
        page.goto(f"{live_server}/jobs")
        page.wait_for_selector("#jobs-list")
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.inner_text(".nav [data-nav='create']") == catalogue(lang)["nav.create"]
        ctx.close()


def test_caption_typed_on_the_create_page_reaches_the_job_and_its_files(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    ctx = context(browser, "ja-JP", "desk")
    page = ctx.new_page()
    page.goto(f"{live_server}/create")
    page.wait_for_selector("#captions [data-caption='wave']")
    assert page.input_value("#caption-lang") == "ja"  # the UI's language, a caption language too
    assert page.input_value("[data-caption='jump']")  # prefilled with the default caption
    page.set_input_files("#file-input", str(FOX))
    page.wait_for_selector("#cutout-preview", timeout=60_000)
    page.click("[data-action='laugh']")  # two actions: wave and jump
    page.check("[data-platform='line-sticker']")
    page.fill("[data-caption='wave']", "やっほー")
    page.fill("[data-caption='jump']", "")  # no caption on this one
    page.select_option("#caption-motion", "bounce")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/job/[0-9a-f]{12}$"), timeout=60_000)
    job_id = page.url.rsplit("/", 1)[1]
    with live_api(live_server) as c:
        job = c.get(f"/jobs/{job_id}").json()
    assert job["captions"]["lang"] == "ja" and job["captions"]["motion"] == "bounce"
    assert job["captions"]["text"] == {"wave": "やっほー", "jump": ""}
    ctx.close()
    assert wait_live_rest(live_server, job_id)["status"] == "awaiting_refinement"
    export_live(live_server, job_id)
    with live_api(live_server) as c:
        exports = {e["platform"]: e for e in c.get(f"/jobs/{job_id}/exports").json()}
    assert exports["line-sticker"]["captions"] == {"wave": "やっほー"}  # what the files carry
    assert exports["line-emoji"]["captions"] == {}  # emoji stay bare

    # The results page shows them, and edits them: saved with the job, then the set is exported again.
    ctx = context(browser, "ja-JP", "desk")
    page = ctx.new_page()
    page.goto(f"{live_server}/results/{job_id}")
    page.wait_for_selector("#captions-view [data-caption-of='wave'] .caption-text")
    assert page.inner_text("#captions-view [data-caption-of='wave'] .caption-text") == "やっほー"
    page.click("#edit-captions")
    page.fill("[data-caption-edit='jump']", "とぶよ")
    page.click("#save-captions")
    page.wait_for_url(re.compile(rf"/job/{job_id}$"))
    ctx.close()
    assert wait_live_rest(live_server, job_id)["status"] == "completed"
    with live_api(live_server) as c:
        exports = {e["platform"]: e for e in c.get(f"/jobs/{job_id}/exports").json()}
        assert c.get(f"/jobs/{job_id}").json()["captions"]["text"] == {"wave": "やっほー", "jump": "とぶよ"}
    assert exports["line-sticker"]["captions"] == {"wave": "やっほー", "jump": "とぶよ"}


def test_an_api_error_shows_in_the_page_language(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """A refused upload: the server says why in English with a code; the page says it in Korean."""
    ctx = context(browser, "ko-KR", "desk")
    page = ctx.new_page()
    page.goto(f"{live_server}/create")
    page.wait_for_selector("#file-input", state="attached")
    page.set_input_files(
        "#file-input", files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not a picture" * 40}]
    )
    page.wait_for_selector("#char-error:not([hidden])", timeout=30_000)
    text = page.inner_text("#char-error")
    ko = catalogue("ko")
    assert any(
        ko[k].split("{")[0] in text for k in ("error.unsupported_format", "error.invalid_input.detail")
    ), text
    ctx.close()


def test_sign_in_page_is_translated(token_server: str, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for lang in ("ja", "ko"):
        ctx = context(browser, lang, "desk")
        page = ctx.new_page()
        page.goto(f"{token_server}/jobs")
        page.wait_for_selector("#sign-in")
        page.fill("#api-token", "not-the-token")
        page.click("#sign-in button[type=submit]")
        page.wait_for_selector("#api-token-error:not(:empty)")
        assert page.inner_text("#api-token-error") == catalogue(lang)["auth.wrong"]
        assert untranslated(page) == []
        ctx.close()
