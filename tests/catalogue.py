"""The texts the code marks for translation, extracted with Babel as ``pybabel extract -F babel.cfg`` does."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parents[1]
#: the gettext keywords of the project: _ (cli, report templates), N_ (marked for later), tr (web templates),
#: T (page scripts), gettext (a translator's method)
KEYWORDS = {"_": None, "N_": None, "tr": None, "T": None, "gettext": None}
METHODS = [
    ("xueliang/cli/**.py", "python"),
    ("xueliang/web/**.py", "python"),
    ("xueliang/report/**.py", "python"),
    ("xueliang/i18n/**.py", "python"),
    ("xueliang/web/templates/**.html", "jinja2"),
    ("xueliang/report/templates/**.j2", "jinja2"),
    ("xueliang/web/static/*.js", "javascript"),
]


#: Click's modules whose texts a user of the command line meets (usage, help, usage errors, prompts)
CLICK_FILES = ("core.py", "exceptions.py", "types.py", "parser.py", "formatting.py", "decorators.py", "termui.py")
#: Click's texts for the programmer of a command line (a wrong declaration), never shown to its users
CLICK_DEVELOPER_TEXTS = {
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Invalid start character for option ({option})",
    "Unknown color {colour!r}",
    "Choice({choices})",
}


def help_texts() -> dict[str, str]:
    """The help texts of the command line (command docstrings, short_help, ``help=``) as Click shows them and
    the catalogue keys them -> the command that has it (``pybabel`` cannot see keyword arguments)."""
    import click

    from xueliang.cli import cli
    from xueliang.cli._clicktext import help_text

    found: dict[str, str] = {}

    def walk(cmd: click.Command, path: str) -> None:
        for text in (cmd.help, cmd.short_help, *(getattr(p, "help", None) for p in cmd.params)):
            if help_text(text):
                found.setdefault(help_text(text), f"xueliang {path}".strip())
        if isinstance(cmd, click.Group):
            for name, sub in sorted(cmd.commands.items()):
                walk(sub, f"{path} {name}")

    walk(cli, "")
    return found


def click_texts() -> dict[str, str]:
    """Click's own gettext'd texts a user meets, extracted from Click's source with Babel."""
    import click

    found: dict[str, str] = {}
    folder = Path(click.__file__).parent
    methods = [(name, "python") for name in CLICK_FILES]
    keywords = {"_": None, "ngettext": (1, 2)}
    for filename, _line, message, _comments, _context in extract_from_dir(str(folder), methods, keywords=keywords):
        for m in message if isinstance(message, tuple) else (message,):
            if isinstance(m, str) and m and m not in CLICK_DEVELOPER_TEXTS:
                found.setdefault(m, f"click/{filename}")
    return found


def marked_texts() -> dict[str, str]:
    """msgid -> the first file that marks it, from Python, Jinja templates and page scripts."""
    found: dict[str, str] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, comment_tags=()
    ):
        for m in message if isinstance(message, tuple) else (message,):
            if isinstance(m, str) and m:
                found.setdefault(m, filename)
    # the report's `"..."|tr` filter (a plain lookup of a literal)
    for path in (ROOT / "xueliang/report/templates").glob("*.j2"):
        for m in re.findall(r'"((?:[^"\\]|\\.)*)"\|tr', path.read_text(encoding="utf-8")):
            found.setdefault(m.replace('\\"', '"'), str(path.relative_to(ROOT)))
    for texts in (help_texts(), click_texts()):
        for m, where in texts.items():
            found.setdefault(m, where)
    return found
