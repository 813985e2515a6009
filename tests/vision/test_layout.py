"""The vision package stays independent of geo, and imports no model at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

VISION = Path(__file__).resolve().parents[2] / "vision"


def test_vision_never_imports_geo() -> None:
    for path in VISION.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "geo" or n.startswith("geo.") for n in names), path.name


def test_importing_vision_loads_no_heavy_library() -> None:
    code = (
        "import sys, vision.index, vision.store, vision.manifest; "
        "heavy = ('torch', 'ultralytics', 'hyperlpr2', 'rapidocr_onnxruntime'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=VISION.parent
    ).stdout
    assert out.strip() == "[]"
