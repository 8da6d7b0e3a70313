"""JSON text from a user (form fields, rig files), parsed without letting its shape crash the server.

Why: the standard parser recurses once per nesting level, so 50,000 `[` in a form field raised
RecursionError (a 500) instead of a clear 400. No PopCon document nests more than a few levels.
"""

from __future__ import annotations

import json
from typing import Any

from popcon.domain.errors import InvalidInput

MAX_DEPTH = 32  # a rig file nests 4 levels, an actions list 2


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of `text`, brackets inside strings not counted (one pass)."""
    depth = peak = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            peak = max(peak, depth)
        elif ch in "]}":
            depth -= 1
    return peak


def loads_user_json(text: str | bytes, what: str) -> Any:
    """`json.loads`, with every way the text can be unusable as one InvalidInput naming `what`."""
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError as e:
        raise InvalidInput(f"{what} is not valid JSON: {e}") from None
    if nesting_depth(raw) > MAX_DEPTH:
        raise InvalidInput(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"{what} is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except (ValueError, RecursionError) as e:
        raise InvalidInput(f"{what} is not valid JSON: {e}") from None
