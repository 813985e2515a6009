"""Languages of the shells: gettext catalogues (read with Babel) and locale-aware numbers, dates and times.

English is the source language; ``zh-CN`` is translated in ``locales/zh_CN/LC_MESSAGES/messages.po``
(edit it with any PO editor; ``pybabel extract -F babel.cfg -o messages.pot .`` collects new strings
and ``pybabel update`` merges them). The catalogue is read as text when first used, so no compiled
``.mo`` file is kept. The target classes use the programme's own words (路口, 主干道关键节点, ...).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from xueliang.errors import ConfigError

__all__ = ["LANGUAGES", "Translator", "negotiate", "translator"]

LOCALES = Path(__file__).resolve().parent / "locales"
#: language tag -> (Babel locale, default time zone for dates shown to people)
LANGUAGES: dict[str, tuple[str, str]] = {"en": ("en", "UTC"), "zh-CN": ("zh_Hans_CN", "Asia/Shanghai")}
DEFAULT = "en"


@cache
def _catalogue(lang: str) -> dict[str, str]:
    """msgid -> msgstr of one language ({} for English, the source language)."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    path = LOCALES / lang.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as f:
        cat = read_po(f)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


@dataclass(frozen=True)
class Translator:
    """Messages and formats for one language; ``gettext`` falls back to the English source text."""

    lang: str
    messages: dict[str, str] = field(repr=False)

    @property
    def locale(self) -> str:
        return LANGUAGES[self.lang][0]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(LANGUAGES[self.lang][1])

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def number(self, value: float, digits: int = 0) -> str:
        from babel.numbers import format_decimal

        return str(
            format_decimal(
                round(value, digits), format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=self.locale
            )
        )

    def percent(self, value: float, digits: int = 1) -> str:
        from babel.numbers import format_percent

        return str(format_percent(value, format=f"#,##0.{'0' * digits}%", locale=self.locale))

    def datetime(self, value: dt.datetime) -> str:
        """A time shown to people: in the language's time zone (Asia/Shanghai for zh-CN), with its offset."""
        from babel.dates import format_datetime

        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        if self.lang == "en":
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        local = value.astimezone(self.tz)
        offset = local.strftime("%z")
        return f"{format_datetime(local, format='medium', locale=self.locale)} ({offset[:3]}:{offset[3:]})"


def translator(lang: str | None = None) -> Translator:
    """The translator of ``lang`` (``en`` or ``zh-CN``; None = English)."""
    lang = DEFAULT if lang is None else lang
    if lang not in LANGUAGES:
        raise ConfigError("--lang", f"expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    return Translator(lang, _catalogue(lang))


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an HTTP ``Accept-Language`` header (English when nothing fits)."""
    best, best_q = DEFAULT, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        tag = tag.strip().lower()
        lang = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang is not None and q > best_q:
            best, best_q = lang, q
    return best
