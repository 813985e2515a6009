"""The layers: geo and vision never import each other; importing a package loads no model.

The full layer contracts (shells > features > geo | vision > core) are checked by import-linter
(``lint-imports``, contracts in pyproject.toml; .ci/run runs it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

VISION = Path(__file__).resolve().parents[1] / "vision"


def imported(package: Path) -> dict[str, set[str]]:
    """Every module name each file of ``package`` (and its subpackages) imports."""
    out: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module or "")
        out[str(path.relative_to(package.parent))] = names
    return out


def test_geo_and_vision_never_import_each_other() -> None:
    """Only the CLI and web layers wire them together."""
    for package, other in ((VISION, "geo"), (VISION.parent / "geo", "vision")):
        files = imported(package)
        assert len(files) > 10, package
        for name, names in files.items():
            bad = sorted(n for n in names if n == other or n.startswith(other + "."))
            assert not bad, f"{name} imports {bad}"


def loaded(imports: str, heavy: tuple[str, ...]) -> list[str]:
    """Which of ``heavy`` a fresh interpreter has loaded after ``import {imports}``."""
    code = f"import sys, {imports}; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=VISION.parent)
    return [m.strip(" '") for m in out.stdout.strip()[1:-1].split(",") if m.strip()]


def test_importing_vision_loads_no_heavy_library() -> None:
    assert (
        loaded(
            "vision.index, vision.tables, vision.manifest",
            ("torch", "ultralytics", "hyperlpr2", "rapidocr_onnxruntime"),
        )
        == []
    )


def test_importing_the_core_loads_no_heavy_library() -> None:
    assert (
        loaded(
            "xueliang, xueliang.errors, xueliang.config", ("numpy", "sqlalchemy", "torch", "geopandas", "vision", "geo")
        )
        == []
    )
