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
    return found
