"""Settings shared by every command: where the database and media live, and typed config loading.

Nothing is read at import time; call the functions.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from xueliang.errors import ConfigError

DB_ENV = "XUELIANG_DB"
MEDIA_ENV = "XUELIANG_MEDIA"
DEFAULT_DB_FILE = "xueliang.db"
DEFAULT_MEDIA_DIR = "xueliang-media"

M = TypeVar("M", bound=BaseModel)


def resolve_db_url(explicit: str | None = None) -> str:
    """The database URL: ``--db`` first, then ``$XUELIANG_DB``, else ``xueliang.db`` in the working directory."""
    if explicit:
        return explicit
    env = os.environ.get(DB_ENV)
    if env:
        return env
    return f"sqlite:///{Path.cwd() / DEFAULT_DB_FILE}"


def resolve_media_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where thumbnails and exported media go: explicit, ``$XUELIANG_MEDIA``, else ``./xueliang-media``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(MEDIA_ENV)
    return Path(env) if env else Path.cwd() / DEFAULT_MEDIA_DIR


def _loc_part(part: object) -> str:
    """A key as written when it is plain text; quoted when it is empty, padded or holds a line break."""
    text = str(part)
    return text if text and text.isprintable() and text.strip() == text else repr(text)


def format_validation_error(exc: ValidationError) -> str:
    """One line per problem: ``section.key: message (got VALUE)``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(_loc_part(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        got = err.get("input")
        suffix = "" if err["type"] in ("extra_forbidden", "missing") else f" (got {got!r})"
        parts.append(f"{loc}: {msg}{suffix}")
    return "; ".join(parts)


def load_model(path: str | os.PathLike[str], model: type[M]) -> M:
    """Read a TOML or JSON file into a typed model that rejects unknown keys.

    Raises :class:`ConfigError` naming the file and every bad key.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(str(p), f"cannot read: {exc.strerror}") from exc
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(str(p), f"not valid {'JSON' if p.suffix == '.json' else 'TOML'}: {exc}") from exc
    return parse_model(data, model, source=str(p))


def parse_model(data: object, model: type[M], *, source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, format_validation_error(exc)) from exc


class ColumnMap(BaseModel):
    """A file's column for each field of a reader (unset = the field's own name): the ledger's and the
    checkpoint passes' ``--map``/``--mapping`` models subclass it."""

    def column_for(self, field: str) -> str:
        value = getattr(self, field)
        return field if value is None else str(value)


C = TypeVar("C", bound=ColumnMap)


def load_column_map(model: type[C], path: str | Path | None, pairs: Sequence[str], *, fields_hint: str = "") -> C:
    """``model`` from a TOML/JSON file and/or ``FIELD=COLUMN`` pairs (pairs win)."""
    base: dict[str, Any] = {}
    if path is not None:
        base = load_model(path, model).model_dump(exclude_none=True)
    for pair in pairs:
        key, sep, column = pair.partition("=")
        if not sep or not key.strip() or not column.strip():
            raise ConfigError("--map", f"expected FIELD=COLUMN{fields_hint}, got {pair!r}")
        base[key.strip()] = column.strip()
    return parse_model(base, model, source="--map")
