"""pydantic's validation errors as Swedish messages with file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..core.errors import Fel, Plats
from .yamlfile import line_of


NUMBER = "ett tal med decimalpunkt (t.ex. 2.5)"
LIST = "en lista (värden inom [ ], åtskilda med komma)"       # no [word]: the terminal reads that as markup
MAPPING = "en mappning (nyckel: värde, eller { } med nyckel: värde)"
# pydantic's error types, as what the value should be (contract §2 in Swedish, targets: never English)
EXPECTED = {
    "decimal_parsing": NUMBER, "decimal_type": NUMBER, "float_parsing": NUMBER, "float_type": NUMBER,
    "finite_number": "ett ändligt tal", "int_parsing": "ett heltal", "int_type": "ett heltal",
    "int_from_float": "ett heltal, utan decimaler", "int_parsing_size": "ett heltal av rimlig storlek",
    "bool_parsing": "true eller false", "bool_type": "true eller false",
    "string_type": "text (sätt citattecken runt värdet)", "string_unicode": "text",
    "list_type": LIST, "tuple_type": LIST, "set_type": LIST, "iterable_type": LIST,
    "dict_type": MAPPING, "model_type": MAPPING, "model_attributes_type": MAPPING, "dataclass_type": MAPPING,
    "date_parsing": "ett datum ÅÅÅÅ-MM-DD", "date_type": "ett datum ÅÅÅÅ-MM-DD", "date_from_datetime_parsing":
    "ett datum ÅÅÅÅ-MM-DD", "none_required": "tomt (null)",
}
# the generic fallback: what an unknown error type's prefix says is expected
EXPECTED_PREFIX = {"int": "ett heltal", "float": NUMBER, "decimal": NUMBER, "bool": "true eller false",
                   "string": "text", "list": LIST, "tuple": LIST, "set": LIST, "dict": MAPPING, "model": MAPPING,
                   "date": "ett datum ÅÅÅÅ-MM-DD", "time": "ett klockslag TT:MM"}


def _shown(value: Any) -> str:
    """A short scalar as the message quotes it; nothing for a mapping or list (the line shows it)."""
    if isinstance(value, (dict, list, tuple)) or value is None:
        return "inget värde" if value is None else ""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if len(text) > 60:
        return ""
    return f"'{text}'" if isinstance(value, str) else text


def _swedish(err: dict, where: str) -> str:
    """One pydantic error as a Swedish message that says what is expected."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    given = _shown(value)
    given = f"; angivet: {given}" if given else ""
    if kind == "extra_forbidden":
        return f"okänd nyckel '{where}'"
    if kind == "missing":
        last = err["loc"][-1] if err["loc"] else None
        if isinstance(last, int):
            return f"'{where.rsplit('.', 1)[0]}': listan har för få värden (nummer {last + 1} saknas)"
        return f"nyckeln '{where}' saknas"
    if kind == "invalid_key":
        return (f"'{where.rsplit('.', 1)[0]}': nyckeln {_shown(value)} är inte text; står det ett "
                "decimalkomma i en {…}-mappning? Skriv tal med decimalpunkt, t.ex. 1.5")
    if kind in ("value_error", "assertion_error"):
        return f"'{where}': " + err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("literal_error", "enum"):
        options = str(ctx.get("expected", "")).replace(" or ", ", ")
        if isinstance(value, str) and value in options.split(", "):
            given += " (text: ta bort citattecknen)"
        return f"'{where}': ska vara " + (f"en av {options}" if "," in options else options) + given
    bounds = {"greater_than_equal": ("minst", "ge"), "greater_than": ("större än", "gt"),
              "less_than_equal": ("högst", "le"), "less_than": ("mindre än", "lt")}
    if kind in bounds:
        word, key = bounds[kind]
        return f"'{where}': ska vara {word} {ctx.get(key)}{given}"
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"'{where}': ska ha {'minst' if kind == 'too_short' else 'högst'} {n} värden, inte {ctx.get('actual_length')}"
    if kind in ("string_too_short", "string_too_long"):
        n = ctx.get("min_length") if kind == "string_too_short" else ctx.get("max_length")
        return f"'{where}': texten ska ha {'minst' if kind == 'string_too_short' else 'högst'} {n} tecken"
    if kind.startswith("decimal_max") or kind == "decimal_whole_digits":
        return f"'{where}': talet har för många siffror{given}"
    expected = EXPECTED.get(kind) or EXPECTED_PREFIX.get(kind.split("_")[0], "ett giltigt värde för nyckeln")
    return f"'{where}': ska vara {expected}{given}"


def validation_errors(exc: ValidationError, data: dict, origin: dict[str, Path]) -> list[Fel]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p != "[key]")     # a bad mapping key: where the key stands
        where = ".".join(str(p) for p in loc)
        msg = _swedish({**err, "loc": loc}, where)
        fil = origin.get(str(loc[0])) if loc else None
        out.append(Fel(msg, Plats(str(fil or next(iter(origin.values()), "")), line_of(data, loc))))
    return out
