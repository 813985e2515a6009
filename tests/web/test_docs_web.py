"""docs/web.md stays true: its commands' options exist, and the screenshots it lists are the ones the tests save."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from xueliang.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")


def _options(path: list[str]) -> set[str]:
    cmd: click.Command = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    return {o for p in cmd.params for o in getattr(p, "opts", [])}


@pytest.mark.parametrize("path", [["report"], ["serve"], ["users", "add"], ["users", "list"]])
def test_documented_options_exist(path: list[str]) -> None:
    line = next(x for x in DOC.splitlines() if x.startswith("xueliang " + " ".join(path) + " "))
    documented = set(re.findall(r"--[a-z-]+", line))
    assert documented and documented <= _options(path), documented - _options(path)


def test_listed_screenshots_are_the_ones_saved() -> None:
    listed = set(re.findall(r"`([a-z_]+\.png)`", DOC))
    saved = set()
    for test in (ROOT / "tests" / "web" / "test_browser.py",):
        saved |= set(re.findall(r'artifacts / "([a-z_]+\.png)"', test.read_text(encoding="utf-8")))
    assert listed == saved
