"""Languages of the shells: gettext catalogues (read with Babel) and locale-aware numbers, dates and times.

English is the source language; ``zh-CN`` is translated in ``locales/zh_CN/LC_MESSAGES/messages.po``
(edit it with any PO editor; ``pybabel extract -F babel.cfg -o messages.pot .`` collects new strings
and ``pybabel update`` merges them). The catalogue is read as text when first used, so no compiled
``.mo`` file is kept. The target classes use the programme's own words (路口, 主干道关键节点, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from xueliang.errors import ConfigError

__all__ = ["LANGUAGES", "N_", "Translator", "environment_language", "negotiate", "translator"]

LOCALES = Path(__file__).resolve().parent / "locales"
#: language tag -> (Babel locale, default time zone for dates shown to people)
LANGUAGES: dict[str, tuple[str, str]] = {"en": ("en", "UTC"), "zh-CN": ("zh_Hans_CN", "Asia/Shanghai")}
DEFAULT = "en"
#: variables a command-line user sets for the language, first found wins (after ``$XUELIANG_LANG``)
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue (``pybabel extract -k N_``) where it is translated later."""
    return message


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

    def __call__(self, message: str, /, **values: object) -> str:
        """``message`` translated, its ``%(name)s`` placeholders filled with ``values`` (kept as given)."""
        text = self.gettext(message)
        return text % values if values else text

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


def _tag(value: str) -> str | None:
    """``zh-CN`` for any Chinese tag or POSIX locale (zh_CN.UTF-8, zh-Hans), ``en`` for English, else None."""
    v = value.strip().lower().replace("_", "-")
    return "zh-CN" if v.startswith("zh") else "en" if v.startswith(("en", "c", "posix")) else None


def environment_language(environ: Mapping[str, str]) -> str:
    """A command-line user's language: ``$XUELIANG_LANG`` (en or zh-CN), else the first of LC_ALL,
    LC_MESSAGES, LANG that is set (zh_* -> zh-CN), else English."""
    chosen = environ.get("XUELIANG_LANG", "").strip()
    if chosen:
        if chosen in LANGUAGES:
            return chosen
        tag = _tag(chosen)
        if tag is None:
            raise ConfigError("$XUELIANG_LANG", f"expected one of {', '.join(LANGUAGES)}, got {chosen!r}")
        return tag
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return _tag(value) or DEFAULT
    return DEFAULT


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
