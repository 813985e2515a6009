"""docs/search.md names only commands and options that exist, and documents every code table entry."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from xueliang.cli import cli
from xueliang.investigate.gat1400 import COLOR_CODES, VEHICLE_CLASS_CODES

DOC = Path(__file__).resolve().parents[2] / "docs" / "search.md"


def test_documented_commands_and_options_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    lines = re.findall(r"^xueliang ([\w-]+) (.*)$", text, flags=re.M)
    assert {c for c, _ in lines} >= {"search", "similar", "similar-index", "trajectory", "review", "export"}
    for command, rest in lines:
        help_text = CliRunner().invoke(cli, [command, "--help"]).output
        for opt in re.findall(r"(--[a-z][a-z-]+)", rest):
            assert opt in help_text, f"{command} {opt}"


def test_code_tables_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for label, code in VEHICLE_CLASS_CODES.items():
        assert f"`{label}` → `{code}`" in text
    for code in set(COLOR_CODES.values()):
        assert f"`{code}`" in text
