"""One base error for the whole project; the CLI prints these as one line, exit code 2."""

from __future__ import annotations


class XueliangError(Exception):
    """Base of every error the project raises on purpose.

    The message is meant for a person: it names the file, record and field, what was
    expected and what came.
    """


class InputError(XueliangError):
    """Bad input: a file, record or field that is not what was expected.

    ``InputError("cameras.csv", "expected 0-360 degrees, got 400", where="row 12", field="heading")``
    reads ``cameras.csv: row 12: 'heading': expected 0-360 degrees, got 400``.
    """

    def __init__(self, source: str, message: str, *, where: str | None = None, field: str | None = None):
        self.source = source
        self.where = where
        self.field = field
        self.detail = message
        parts = [str(source)]
        if where:
            parts.append(where)
        if field:
            parts.append(f"{field!r}")
        parts.append(message)
        super().__init__(": ".join(parts))


class SchemaError(InputError):
    """A record does not follow the expected schema (types, ranges, identifiers)."""


class ConfigError(InputError):
    """A configuration file or option is invalid."""


class NotFoundError(XueliangError):
    """A referenced object (camera, case, sighting, file) does not exist."""


class StorageError(XueliangError):
    """The database could not be opened, migrated or written."""
