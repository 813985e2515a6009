"""Fixtures: the same generated data as the web tests (coverage, plan, ledger on the sample town)."""

from __future__ import annotations

import pytest

from tests.web.factories import WebData, build


@pytest.fixture(scope="session")
def report_data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build(tmp_path_factory.mktemp("report-data"))
