"""Validation errors (pydantic) in the user's language: each names its field and what was expected.

pydantic writes its messages in English with its own wording; here each error *type* has a catalogue entry
with placeholders (the field, the limit, the value as given). A message of our own validators
(``ValueError("expected ..., got ...")``) is translated through the error shapes of :mod:`xueliang.i18n.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xueliang.i18n import N_, Translator
from xueliang.i18n.errors import translate_message

__all__ = ["Problem", "problems", "validation_line"]

#: pydantic error type -> message (placeholders: value, limit, choices)
BY_TYPE: dict[str, str] = {
    "missing": N_("required"),
    "extra_forbidden": N_("unknown field"),
    "datetime_parsing": N_("expected a date and time such as 2024-05-01T08:00, got %(value)s"),
    "datetime_from_date_parsing": N_("expected a date and time such as 2024-05-01T08:00, got %(value)s"),
    "datetime_type": N_("expected a date and time such as 2024-05-01T08:00, got %(value)s"),
    "date_parsing": N_("expected a date such as 2024-05-01, got %(value)s"),
    "date_from_datetime_parsing": N_("expected a date such as 2024-05-01, got %(value)s"),
    "int_parsing": N_("expected a whole number, got %(value)s"),
    "int_type": N_("expected a whole number, got %(value)s"),
    "int_from_float": N_("expected a whole number, got %(value)s"),
    "float_parsing": N_("expected a number, got %(value)s"),
    "float_type": N_("expected a number, got %(value)s"),
    "finite_number": N_("expected a finite number, got %(value)s"),
    "bool_parsing": N_("expected true or false, got %(value)s"),
    "greater_than_equal": N_("expected a value >= %(limit)s, got %(value)s"),
    "greater_than": N_("expected a value > %(limit)s, got %(value)s"),
    "less_than_equal": N_("expected a value <= %(limit)s, got %(value)s"),
    "less_than": N_("expected a value < %(limit)s, got %(value)s"),
    "string_too_long": N_("expected at most %(limit)s characters"),
    "string_too_short": N_("expected at least %(limit)s characters"),
    "too_long": N_("expected at most %(limit)s items"),
    "too_short": N_("expected at least %(limit)s items"),
    "literal_error": N_("expected one of %(choices)s, got %(value)s"),
    "enum": N_("expected one of %(choices)s, got %(value)s"),
    "string_pattern_mismatch": N_("not in the expected form, got %(value)s"),
    "string_type": N_("expected text, got %(value)s"),
    "list_type": N_("expected a list, got %(value)s"),
    "json_invalid": N_("not valid JSON: %(why)s"),
}
_LIMIT_KEYS = ("ge", "gt", "le", "lt", "max_length", "min_length")


@dataclass(frozen=True)
class Problem:
    """One validation problem: where (pydantic's ``loc``), its type, and the message in the user's language."""

    loc: tuple[str | int, ...]
    type: str
    message: str


def _message(err: Mapping[str, Any], t: Translator) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    shape = BY_TYPE.get(kind)
    if shape is None:
        msg = str(err.get("msg", ""))
        return translate_message(msg.removeprefix("Value error, "), t)
    limit = next((ctx[k] for k in _LIMIT_KEYS if k in ctx), "")
    values = {"value": repr(err.get("input")), "limit": str(limit), "choices": str(ctx.get("expected", ""))}
    values["why"] = str(ctx.get("error", ""))
    return t(shape, **{k: v for k, v in values.items() if f"%({k})s" in shape})


def problems(errors: Sequence[Mapping[str, Any]], t: Translator) -> list[Problem]:
    """pydantic's ``exc.errors()`` as problems whose messages are in ``t``'s language."""
    return [Problem(tuple(e.get("loc", ())), str(e.get("type", "")), _message(e, t)) for e in errors]


def validation_line(errors: Sequence[Mapping[str, Any]], t: Translator, labels: Mapping[str, str]) -> str:
    """One line for a form: ``field: what was expected, got VALUE; ...`` with each field named by its label
    on the page (``labels``: field name -> English label, translated here), else by its name."""
    parts = []
    for p in problems(errors, t):
        name = next((str(x) for x in p.loc if str(x) in labels), str(p.loc[-1]) if p.loc else "")
        label = t.gettext(labels[name]) if name in labels else name
        parts.append(t("%(field)s: %(message)s", field=label, message=p.message) if label else p.message)
    return ("；" if t.lang != "en" else "; ").join(parts)
