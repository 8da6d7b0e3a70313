from __future__ import annotations

import pytest

from popcon.domain.errors import InvalidInput
from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS
from popcon.registry import Registry
from popcon.vision.segment.registry import SEGMENTERS


def test_a_name_registers_once_and_unknown_names_list_the_known() -> None:
    reg: Registry[type] = Registry("widget", ())

    @reg.register("a")
    class A:
        pass

    assert reg.get("a") is A and reg.names() == ("a",)
    with pytest.raises(ValueError, match="twice"):
        reg.register("a")(type("B", (), {}))
    with pytest.raises(InvalidInput, match="unknown widget 'b' \\(available: a\\)"):
        reg.get("b")


def test_every_provider_and_segmenter_registered_itself() -> None:
    assert set(IMAGE_PROVIDERS.names()) == {"offline", "dashscope", "gemini"}
    assert set(VIDEO_PROVIDERS.names()) == {"offline", "dashscope"}
    assert set(SEGMENTERS.names()) == {"classical", "sam2"}
    for name in IMAGE_PROVIDERS.names():
        assert IMAGE_PROVIDERS.get(name).name == name  # type: ignore[attr-defined]
