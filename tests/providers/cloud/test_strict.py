"""Every provider request meets the documented schema; any misspelled field or wrong type fails.

The stand-in server checks bodies against `schemas.py` (written from the API references). Here
each request PopCon builds is sent as built (it must pass) and then once per field with that
field misspelled, and with typed values of the wrong type: each variant must be refused with the
service's error body, so no misspelling in any provider request can pass unnoticed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from popcon.domain.actions import load_presets
from popcon.providers.base import ClipRequest
from popcon.providers.cloud.dashscope import VIDEO_MODEL_SPECS, DashScopeImageProvider, DashScopeVideoProvider
from popcon.providers.cloud.gemini import GeminiImageProvider
from popcon.providers.cloud.http import ProviderError

from . import schemas

WAVE = load_presets()["wave"]
Path_ = tuple[Any, ...]


def key_paths(obj: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every dict key in a JSON value, as the path of keys / list indices leading to it."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*prefix, k)
            yield from key_paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from key_paths(v, (*prefix, i))


def misspelled(body: dict[str, Any], path: Path_) -> dict[str, Any]:
    out = copy.deepcopy(body)
    parent = out
    for k in path[:-1]:
        parent = parent[k]
    parent[f"{path[-1]}_"] = parent.pop(path[-1])  # e.g. "resolution_", "img_url_"
    return out


def retyped(body: dict[str, Any], path: Path_) -> dict[str, Any]:
    out = copy.deepcopy(body)
    parent = out
    for k in path[:-1]:
        parent = parent[k]
    value = parent[path[-1]]
    parent[path[-1]] = str(value).lower() if isinstance(value, (bool, int)) else 7
    return out


def _video(settings, fox, key, tmp_path, model: str = "wan2.2-i2v-flash"):
    s = settings.model_copy(update={"dashscope_video_model": model})
    provider = DashScopeVideoProvider(s)

    def run() -> None:
        provider.animate(ClipRequest(fox, WAVE, key, tmp_path / f"{model}.mp4"))

    return provider, "request_body", run


def _t2i(settings, fox, key, tmp_path):
    provider = DashScopeImageProvider(settings)
    return provider, "t2i_body", lambda: provider.character("a red fox", None, key)


def _edit(settings, fox, key, tmp_path):
    provider = DashScopeImageProvider(settings)
    return provider, "edit_body", lambda: provider.start_pose(fox, WAVE, key)


def _gemini(settings, fox, key, tmp_path):
    provider = GeminiImageProvider(settings.model_copy(update={"gemini_transport": "rest"}))
    return provider, "request_body", lambda: provider.start_pose(fox, WAVE, key)


REQUESTS: dict[str, Callable[..., Any]] = {
    "wan-i2v": _video,
    "wan-kf2v": lambda *a: _video(*a, model="wan2.2-kf2v-flash"),
    "wan2.6": lambda *a: _video(*a, model="wan2.6-i2v-flash"),
    "wan-t2i": _t2i,
    "qwen-edit": _edit,
    "gemini": _gemini,
}


def _built(name, cloud_settings, fox, fox_key, tmp_path) -> dict[str, Any]:
    provider, builder, run = REQUESTS[name](cloud_settings, fox, fox_key, tmp_path)
    seen: list[dict[str, Any]] = []
    original = getattr(provider, builder)

    def spy(*a: Any) -> dict[str, Any]:
        body = original(*a)
        seen.append(body)
        return body

    setattr(provider, builder, spy)
    run()
    return seen[0]


@pytest.mark.parametrize("name", list(REQUESTS))
def test_each_request_as_built_meets_the_documented_schema(
    name, cloud, cloud_settings, fox, fox_key, tmp_path
):
    body = _built(name, cloud_settings, fox, fox_key, tmp_path)
    assert cloud.refused == [] and body
    if "prompt_extend" in str(schemas.VIDEO_PARAMETERS | schemas.T2I_PARAMETERS) and name != "gemini":
        assert body["parameters"]["prompt_extend"] is False  # set explicitly on every call that has it


@pytest.mark.parametrize("name", list(REQUESTS))
def test_any_misspelled_field_is_refused(name, cloud, cloud_settings, fox, fox_key, tmp_path):
    good = _built(name, cloud_settings, fox, fox_key, tmp_path)
    cloud.expect_refusals = True
    paths = list(key_paths(good))
    assert len(paths) >= 5
    for path in paths:
        cloud.refused.clear()
        provider, builder, run = REQUESTS[name](
            cloud_settings.model_copy(update={"data_dir": tmp_path / "d" / "-".join(map(str, path))}),
            fox,
            fox_key,
            tmp_path,
        )
        setattr(provider, builder, lambda *a, p=path: misspelled(good, p))
        with pytest.raises(ProviderError):
            run()
        assert cloud.refused, f"{name}: {path} misspelled was accepted"


@pytest.mark.parametrize("name", list(REQUESTS))
def test_a_typed_value_of_the_wrong_type_is_refused(name, cloud, cloud_settings, fox, fox_key, tmp_path):
    good = _built(name, cloud_settings, fox, fox_key, tmp_path)
    cloud.expect_refusals = True
    typed = [p for p in key_paths(good) if isinstance(_at(good, p), (bool, int)) or p[-1] == "prompt"]
    for path in typed:
        cloud.refused.clear()
        provider, builder, run = REQUESTS[name](
            cloud_settings.model_copy(update={"data_dir": tmp_path / "t" / "-".join(map(str, path))}),
            fox,
            fox_key,
            tmp_path,
        )
        setattr(provider, builder, lambda *a, p=path: retyped(good, p))
        with pytest.raises(ProviderError):
            run()
        assert cloud.refused, f"{name}: {path} with a {type(_at(good, path)).__name__} of the wrong type"


def _at(body: Any, path: Path_) -> Any:
    for k in path:
        body = body[k]
    return body


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (("parameters", "resolution"), "size"),
        (("parameters", "prompt_extend"), "extend_prompt"),
        (("input", "img_url"), "image_url"),
    ],
)
def test_the_renamings_from_the_issue_are_refused(cloud, cloud_settings, fox, fox_key, tmp_path, old, new):
    good = _built("wan-i2v", cloud_settings, fox, fox_key, tmp_path)
    cloud.expect_refusals = True
    bad = copy.deepcopy(good)
    bad[old[0]][new] = bad[old[0]].pop(old[1])
    provider = DashScopeVideoProvider(cloud_settings)
    provider.request_body = lambda *a: bad  # type: ignore[method-assign]
    with pytest.raises(ProviderError, match="InvalidParameter"):
        provider.animate(ClipRequest(fox, WAVE, fox_key, tmp_path / "x.mp4"))


def test_kf2v_last_frame_misspelled_is_refused(cloud, cloud_settings, fox, fox_key, tmp_path):
    good = _built("wan-kf2v", cloud_settings, fox, fox_key, tmp_path)
    cloud.expect_refusals = True
    bad = copy.deepcopy(good)
    bad["input"]["tail_frame_url"] = bad["input"].pop("last_frame_url")
    s = cloud_settings.model_copy(update={"dashscope_video_model": "wan2.2-kf2v-flash"})
    provider = DashScopeVideoProvider(s)
    provider.request_body = lambda *a: bad  # type: ignore[method-assign]
    with pytest.raises(ProviderError, match="tail_frame_url"):
        provider.animate(ClipRequest(fox, WAVE, fox_key, tmp_path / "x.mp4"))


@pytest.mark.parametrize("model", list(schemas.WAN_VIDEO_MODELS))
def test_popcons_model_table_matches_the_documentation(model):
    """PopCon's per-model table against the one written here from the model reference."""
    ours, doc = VIDEO_MODEL_SPECS[model], schemas.WAN_VIDEO_MODELS[model]
    assert ours.resolutions == doc["resolutions"], model
    allowed = tuple(range(ours.durations[0], ours.durations[1] + 1)) if ours.durations else (ours.seconds,)
    assert allowed == doc["durations"] and ours.silent_switch == doc["audio"]
    assert ours.keyframes == bool(doc.get("keyframes"))
