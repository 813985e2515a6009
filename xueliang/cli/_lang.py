"""The command line's language: ``--lang``, else ``$XUELIANG_LANG``, else LC_ALL/LC_MESSAGES/LANG, else English.

Commands write their messages as ``_("3 cameras read from %(path)s", path=p)``: the English source text is
the catalogue's msgid (``pybabel extract -k _``), values are filled in after translation, as given.
"""

from __future__ import annotations

import datetime as dt
import os
from contextvars import ContextVar

from xueliang.i18n import LANGUAGES, Translator, environment_language, translator

__all__ = ["LANG_CHOICES", "_", "current", "iso_time", "use_language"]

LANG_CHOICES = list(LANGUAGES)
_current: ContextVar[Translator | None] = ContextVar("xueliang_cli_translator", default=None)


def use_language(lang: str | None) -> Translator:
    """Make ``lang`` (None: from the environment) the language of this command's messages."""
    t = translator(lang if lang is not None else environment_language(os.environ))
    _current.set(t)
    return t


def current() -> Translator:
    """The translator of the running command (from the environment when no ``--lang`` was read)."""
    t = _current.get()
    return t if t is not None else use_language(None)


def _(message: str, /, **values: object) -> str:
    """``message`` in the command's language, its ``%(name)s`` placeholders filled with ``values``."""
    return current()(message, **values)


def iso_time(value: dt.datetime) -> str:
    """A time in a command's output: ISO 8601 with its offset, in the language's zone (Asia/Shanghai for
    zh-CN; as stored for English). A time without a zone is UTC."""
    t = current()
    if t.lang == "en":
        return value.isoformat()
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(t.tz).isoformat()
