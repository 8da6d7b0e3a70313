"""User JSON: depth is measured outside strings; too deep, broken or undecodable is one InvalidInput."""

from __future__ import annotations

import pytest

from popcon.domain.errors import InvalidInput
from popcon.domain.jsontext import MAX_DEPTH, loads_user_json, nesting_depth


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert nesting_depth('[{"a": [1, 2]}]') == 3
    assert nesting_depth('["[[[[", "\\"[[["]') == 1
    assert nesting_depth("42") == 0


@pytest.mark.parametrize(
    "text",
    ["[" * 50_000, "{" * 50_000, '{"a":' * 5_000, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)],
)
def test_deep_documents_are_invalid_input_not_recursion(text: str) -> None:
    with pytest.raises(InvalidInput, match="nests deeper"):
        loads_user_json(text, "actions")


def test_bad_text_names_the_field() -> None:
    with pytest.raises(InvalidInput, match="actions is not valid JSON"):
        loads_user_json("[1,", "actions")
    with pytest.raises(InvalidInput, match="rig file is not valid JSON"):
        loads_user_json(b"\xff\xfe", "rig file")
    assert loads_user_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, "x") is not None
