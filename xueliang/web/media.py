"""Resolve a stored media path inside the media folder, refusing anything that escapes it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from xueliang.errors import InputError, NotFoundError


class MediaPathError(InputError):
    """A media path points outside the media folder (``..``, absolute elsewhere, or a symlink out)."""


def safe_media_file(media_dir: Path, stored: str) -> Path:
    """The real file for ``stored`` if it lies inside ``media_dir`` after resolving symlinks.

    Absolute paths are accepted only when they resolve inside the folder too.
    """
    if not stored or "\x00" in stored:
        raise MediaPathError("media", f"expected a file path, got {stored!r}")
    root = media_dir.resolve(strict=False)
    candidate = Path(stored)
    if not candidate.is_absolute():
        candidate = root / candidate
    try:
        real = candidate.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, OSError) as exc:
        raise NotFoundError(f"media file {stored!r} not found") from exc
    if not real.is_relative_to(root):
        raise MediaPathError("media", f"expected a path inside {root}, got {stored!r}")
    if not real.is_file():
        raise NotFoundError(f"media file {stored!r} not found")
    return real


def url_media_file(media_dir: Path, path: str) -> Path:
    """The file for a path taken from a URL (``/media/files/...``), answering nothing about the disk
    outside the media folder: a ``..`` segment, an absolute path or a NUL byte is refused (MediaPathError,
    400) by its spelling alone, before the disk is looked at; a missing file, a symlink that points out
    and a folder all get the same NotFoundError (404)."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/") or ".." in PurePosixPath(path).parts:
        raise MediaPathError("media", f"expected a relative path inside the media folder, got {path!r}")
    try:
        return safe_media_file(media_dir, path)
    except MediaPathError as exc:
        raise NotFoundError(f"media file {path!r} not found") from exc
