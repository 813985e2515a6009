"""Reading files: one SHA-256 digest and one text decoder for every subsystem."""

from __future__ import annotations

import hashlib
from pathlib import Path

from xueliang.errors import InputError

ENCODINGS = (("utf-8-sig", "utf-8"), ("gb18030", "gb18030"))


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (streamed: ``hashlib.file_digest``); an unreadable file is an InputError."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from exc


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312),
    which Chinese exports often use. Else an :class:`InputError` naming ``source``."""
    for encoding, label in ENCODINGS:
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise InputError(source, "cannot decode as UTF-8 or GB18030/GBK; save the file as UTF-8")
