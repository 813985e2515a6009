"""docs/tactics.md names only commands and options that exist, and documents every code it reads."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from xueliang.cli import cli
from xueliang.investigate.codes import COLOUR_OF_CODE, VEHICLE_TYPE_OF_CODE, VEHICLE_TYPE_OF_LETTER

DOC = Path(__file__).resolve().parents[2] / "docs" / "tactics.md"


def test_documented_commands_and_options_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    lines = re.findall(r"^xueliang (passes|tactics|watch) ([\w-]+) ?(.*)$", text, flags=re.M)
    names = {f"{g} {c}" for g, c, _ in lines}
    assert {"passes import", "passes generate", "passes export", "watch add"} <= names
    assert {f"tactics {t}" for t in ("cloned-plates", "companions", "first-entry", "footholds")} <= names
    for group, command, rest in lines:
        help_text = CliRunner().invoke(cli, [group, command, "--help"]).output
        assert "Usage" in help_text, (group, command)
        for opt in re.findall(r"(--[a-z][a-z-]+)", rest):
            assert opt in help_text, f"{group} {command} {opt}"
    tactic_help = CliRunner().invoke(cli, ["tactics", "nocturnal", "--help"]).output
    for opt in ("--engine", "--master", "--parquet", "--case", "--actor", "--json"):
        assert opt in tactic_help


def test_code_tables_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code, name in COLOUR_OF_CODE.items():
        assert f"`{code}` {name}" in text
    for code, name in VEHICLE_TYPE_OF_CODE.items():
        assert re.search(rf"\| `{code}` \| [^|]+ \| {name}\b", text), code
    for letter in VEHICLE_TYPE_OF_LETTER:
        assert f"`{letter}`" in text
