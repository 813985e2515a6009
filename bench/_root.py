"""Where a bench runs: this checkout, put first on ``sys.path`` so that a bench measures this checkout's code
even where another copy of the package is installed. A bench (run as ``python bench/NAME.py``, so this folder
is on the path) imports it before the project's modules: ``from _root import ROOT``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
