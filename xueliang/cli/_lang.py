"""The command line's language: ``--lang``, else ``$XUELIANG_LANG``, else LC_ALL/LC_MESSAGES/LANG, else English.

Commands write their messages as ``_("3 cameras read from %(path)s", path=p)``: the English source text is
the catalogue's msgid (``pybabel extract -k _``), values are filled in after translation, as given.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from contextvars import ContextVar

from xueliang.errors import XueliangError
from xueliang.i18n import LANGUAGES, Translator, environment_language, translator

__all__ = ["LANG_CHOICES", "_", "current", "iso_time", "language_in_args", "running", "start_language", "use_language"]

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


def running() -> Translator | None:
    """The translator of the running command; None before any command chose its language."""
    return _current.get()


def language_in_args(args: Sequence[str]) -> str | None:
    """The value of the top-level ``--lang`` in ``args`` (before the command name), read before Click parses them
    so that ``--help`` and usage errors already speak it; None when absent or not a known language."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        elif arg.startswith("-"):
            continue
        else:
            return None  # the command's name: its own options are not ours
        return value if value in LANGUAGES else None
    return None


def start_language(args: Sequence[str]) -> Translator:
    """The language of a command line about to be parsed: ``--lang`` in ``args``, else the environment
    (English when ``$XUELIANG_LANG`` is unreadable: the command then says so)."""
    try:
        return use_language(language_in_args(args))
    except XueliangError:
        return use_language("en")


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
