"""xueliang.storage: URL errors name the URL without its password and say how to get the driver."""

from __future__ import annotations

import pytest

from xueliang.errors import StorageError
from xueliang.storage import open_database


def test_missing_driver_is_named_with_an_install_hint_and_no_password() -> None:
    with pytest.raises(StorageError, match=r"'postgresql\+nosuchdriver://li:\*\*\*@db\.example:5432/x'") as info:
        open_database("postgresql+nosuchdriver://li:s3cret@db.example:5432/x")
    assert "s3cret" not in str(info.value)


def test_driver_not_installed_gets_the_extra_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    with pytest.raises(StorageError, match=r"driver is not installed.*pip install 'xueliang\[postgres\]'") as info:
        open_database("postgresql+psycopg://li:s3cret@db.example:5432/x")
    assert "s3cret" not in str(info.value) and "li:***@db.example" in str(info.value)
