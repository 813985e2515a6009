"""Click's own texts and our help texts in the command's language, through the project's catalogue.

Click marks its texts with ``gettext`` (``_("Usage:")``, ``_("No such option {name!r}.")``), bound in each of its
modules at import time; :func:`install` points those names at the running command's translator (a program
that never runs a xueliang command keeps Click's English). Help texts (command docstrings and ``help=``) are
catalogue msgids as written (``inspect.cleandoc``-ed); :class:`XueliangContext` formats them translated.
A usage error prints as one line (``error: ...``), like every other error of the command line.
"""

from __future__ import annotations

import importlib
import inspect
import re
import unicodedata
from collections.abc import Sequence
from typing import IO, Any

import click

from xueliang.cli import _lang

__all__ = ["UsageLine", "XueliangContext", "help_text", "install", "usage_line"]

#: Click's modules that show texts to a user of the command line
CLICK_MODULES = (
    "click.core",
    "click.exceptions",
    "click.types",
    "click.parser",
    "click.formatting",
    "click.decorators",
    "click.termui",
)


def _click_gettext(message: str) -> str:
    t = _lang.running()
    return message if t is None else t.gettext(message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    t = _lang.running()
    chosen = singular if n == 1 else plural
    return chosen if t is None else t.gettext(chosen)


def install() -> None:
    """Route Click's gettext'd texts through the running command's translator (idempotent)."""
    for name in CLICK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = _click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]


def help_text(text: str | None) -> str:
    """A help text as Click shows it and as the catalogue keys it: cleaned, cut at a form feed."""
    return inspect.cleandoc(text or "").partition("\f")[0]


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap_cjk(text: str, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` terminal columns (a CJK character takes two), broken between
    CJK characters or at spaces, never inside a run of Latin letters, digits and signs (an option, a path)."""
    lines: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        joined = re.sub(r"(?<=[\x21-\x7e])\n(?=[\x21-\x7e])", " ", paragraph).replace("\n", "")
        line = ""
        for token in re.findall(r"[\x21-\x7e]+|\s|.", joined):
            if line and _columns(line + token) > width:
                lines.append(line.rstrip())
                line = "" if token.isspace() else token
            else:
                line += token
        lines.extend([line.rstrip(), ""])
    return lines[:-1]


def _has_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in "WF" for c in text)


def _first_sentence(text: str, limit: int) -> str:
    """The first sentence of a translated help text, for the list of commands (cut to ``limit`` columns between
    characters or words, never inside a Latin word)."""
    first = text.split("\n\n")[0].replace("\n", "").split("。")[0]
    if _columns(first) <= limit:
        return first
    out = ""
    for token in re.findall(r"[\x21-\x7e]+|\s|.", first):
        if _columns(out + token) > limit - 1:
            break
        out += token
    return out.rstrip() + "…"


class TranslatingFormatter(click.HelpFormatter):
    """Writes help texts in the running command's language (English: unchanged)."""

    def __init__(self, ctx: click.Context, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx

    def write_text(self, text: str) -> None:
        translated = _lang.current().gettext(text)
        if translated == text or not _has_cjk(translated):
            super().write_text(translated)
            return
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 11)
        for line in _wrap_cjk(translated, width):
            self.write(f"{indent}{line}\n" if line else "\n")

    def _definition(self, term: str, text: str, limit: int) -> str:
        t = _lang.current()
        if t.lang == "en":
            return text
        m = re.fullmatch(r"(.*?)(\s*\[[^\[\]]*\])?", text, re.DOTALL)
        body, extra = (m.group(1), m.group(2) or "") if m else (text, "")
        translated = t.gettext(body)
        command = self.ctx.command
        sub = command.get_command(self.ctx, term) if isinstance(command, click.Group) else None
        if sub is not None:  # the list of commands: the first sentence of the command's translated help
            full = help_text(sub.short_help or sub.help)
            whole = t.gettext(full)
            if whole != full:
                translated = _first_sentence(whole, limit)
        return f"{translated}{extra}"

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        first = min(max((len(term) for term, _ in rows), default=0), col_max)
        limit = max(self.width - self.current_indent - first - col_spacing, 20)
        rows = [(term, self._definition(term, text, limit)) for term, text in rows]
        if not any(_has_cjk(text) for _, text in rows):
            super().write_dl(rows, col_max, col_spacing)
            return
        pad = first + col_spacing
        for term, text in rows:
            lines = _wrap_cjk(text, limit) if text else []
            head = f"{'':>{self.current_indent}}{term}"
            if len(term) > first:
                self.write(f"{head}\n")
                self.write("".join(f"{'':>{self.current_indent + pad}}{line}\n" for line in lines))
                continue
            self.write(f"{head}{' ' * (pad - len(term))}{lines[0] if lines else ''}\n")
            self.write("".join(f"{'':>{self.current_indent + pad}}{line}\n" for line in lines[1:]))

    def write_heading(self, heading: str) -> None:
        if _has_cjk(heading):  # a full-width colon after a Chinese heading
            self.write(f"{'':>{self.current_indent}}{heading}：\n")
        else:
            super().write_heading(heading)


class XueliangContext(click.Context):
    """A Click context whose help is formatted in the running command's language."""

    def make_formatter(self) -> click.HelpFormatter:
        return TranslatingFormatter(self, width=self.terminal_width, max_width=self.max_content_width)


def usage_line(exc: click.UsageError) -> str:
    """The one line of a usage error: what was wrong, and where help is."""
    t = _lang.current()
    message = exc.format_message()
    if t.lang != "en":
        if message.endswith("."):  # Click ends some messages with its own full stop
            message = message[:-1] + "。"
        # Click joins a message and its "Did you mean" hint with a space; Chinese punctuation needs none
        message = re.sub(r"(?<=[。？！；：，）])\s+", "", message)
    ctx = exc.ctx
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        names = ctx.command.get_help_option_names(ctx)
        hint = _click_gettext("Try '{command} {option}' for help.").format(
            command=ctx.command_path, option=max(names, key=len)
        )
        message = t("%(message)s %(hint)s", message=message, hint=hint)
    return t("error: %(message)s", message=message)


class UsageLine(click.UsageError):
    """A usage error shown as one line (exit code 2)."""

    def __init__(self, original: click.UsageError) -> None:
        super().__init__(original.format_message(), original.ctx)
        self.line = usage_line(original)

    def format_message(self) -> str:
        return self.message

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.line, file=file, err=file is None)
