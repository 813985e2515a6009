"""The one-line errors in the user's language: the fixed part translated, file/record/field values kept.

Errors are raised in English all over the project (``InputError(path, f"expected ..., got {v!r}")``).
Their message *shapes* are listed here as catalogue entries with placeholders; a message that fits a
shape is shown with the shape's translation and its own values. A message that fits none stays English.
"""

from __future__ import annotations

import re
from functools import cache

from xueliang.errors import InputError, XueliangError
from xueliang.i18n import N_, Translator

__all__ = ["pad", "translate_error", "translate_label", "translate_message"]

#: the places of a record (``where=``)
WHERE = (N_("row %(n)s"), N_("line %(n)s"), N_("feature %(n)s"), N_("phase %(n)s"), N_("quota %(n)s"))

#: message shapes, most specific first (a shape is tried whole: its placeholders match any text)
SHAPES = (
    N_("no such file"),
    N_("cannot read: %(why)s"),
    N_("not valid JSON: %(why)s"),
    N_("not a readable CSV file: %(why)s"),
    N_("not a readable CSV file at line %(line)s: %(why)s"),
    N_("not a readable .xlsx workbook: %(why)s"),
    N_("empty file: expected a header row with id, lon, lat, ..."),
    N_("expected at least one scene, got none"),
    N_("expected an integer >= 1, got %(value)s"),
    N_("expected the end after the start, got %(value)s"),
    N_("expected one of %(choices)s, got %(value)s"),
    N_("expected a number in %(range)s, got %(value)s"),
    N_("must be %(range)s, got %(value)s"),
    N_("unknown model %(name)s: expected one of %(choices)s"),
    N_("unknown scale %(name)s: expected one of %(choices)s"),
    N_("unknown time zone %(name)s; expected an IANA name like Asia/Shanghai"),
    N_("unknown camera file type: expected .csv, .geojson, .osm or .osm.pbf"),
    N_("unknown CRS %(name)s"),
    N_("no drivable roads in this extract (highway=* ways)"),
    N_("sighting %(id)s not found"),
    N_("user %(name)s not found"),
    N_("scenario %(name)s not found"),
    N_("media file %(name)s not found"),
    N_("case %(id)s: no history in the ledger"),
    N_("no coverage.gpkg in %(dir)s (start with --coverage DIR)"),
    N_("no coverage.gpkg in %(dir)s (run `xueliang coverage` first)"),
    N_("--sighting: expected an indexed sighting id, got unknown %(id)s"),
    N_("%(n)s of %(total)s units have %(min)s+ channels"),
    N_("expected %(what)s, got %(value)s"),
    N_("expected %(what)s"),
)


#: labels composed from data (a crime type and a kind of ratio), and the progress lines of the long runs
LABELS = (
    N_("%(scope)s: hazard ratio"),
    N_("%(scope)s: odds ratio"),
    N_("%(requirement)s; area-weighted %(ratio)s"),
    N_("town: %(ways)s drivable ways, %(buildings)s buildings; cameras: %(cameras)s"),
    N_("targets: %(list)s"),
    N_("%(name)s: %(covered)s of %(total)s covered at %(level)s (%(px)s px/m)"),
    N_("tracing view polygons"),
    N_("writing outputs"),
    N_("%(demand)s demand points, %(candidates)s candidate views, %(existing)s existing cameras (fixed)"),
    N_("coverage matrix %(rows)s x %(cols)s, %(nnz)s entries, built in %(secs)s s"),
    N_("%(name)s: %(n)s targets"),
)


@cache
def _pattern(shape: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names = tuple(re.findall(r"%\((\w+)\)s", shape))
    pieces = re.split(r"%\(\w+\)s", shape)
    regex = "(.+?)".join(re.escape(p) for p in pieces)
    return re.compile(regex + r"\Z", re.DOTALL), names


def _words(value: str, t: Translator) -> str:
    """A catalogue word translated whole (``vehicle theft``), else each lower-case word in it (``key_sites 5``)."""
    whole = t.gettext(value)
    return whole if whole != value else re.sub(r"[a-z][a-z_]*", lambda m: t.gettext(m.group()), value)


def _fit(text: str, shapes: tuple[str, ...], t: Translator, *, words: bool = False) -> str | None:
    """``text`` in the translation of the first shape it fits (values kept; with ``words``, a value that is a
    catalogue word such as a crime type is translated too), or None."""
    for shape in shapes:
        m = _pattern(shape)[0].match(text)
        if m:
            values = [_words(v, t) if words else v for v in m.groups()]
            return t(shape, **dict(zip(_pattern(shape)[1], values, strict=True)))
    return None


def translate_label(text: str, t: Translator) -> str:
    """A label shown in a chart or table: a catalogue word, or a composed label (``theft: hazard ratio``)."""
    if t.lang == "en":
        return text
    return _fit(text, LABELS, t, words=True) or t.gettext(text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (a CJK character takes two)."""
    import unicodedata

    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    fill = " " * max(0, width - cols)
    return fill + text if right else text + fill


def translate_message(text: str, t: Translator) -> str:
    """``text`` in ``t``'s language when it fits a known shape (values kept), else unchanged."""
    if t.lang == "en":
        return text
    return _fit(text, SHAPES, t) or text


def translate_error(exc: XueliangError, t: Translator) -> str:
    """The one line of ``exc`` in ``t``'s language: source and field as they are, the rest translated."""
    if t.lang == "en":
        return str(exc)
    if isinstance(exc, InputError):
        parts = [str(exc.source)]
        if exc.where:
            parts.append(_fit(exc.where, WHERE, t) or exc.where)
        if exc.field:
            parts.append(repr(exc.field))
        parts.append(translate_message(exc.detail, t))
        return ": ".join(parts)
    return translate_message(str(exc), t)
