"""The same tactic SQL on Apache Spark (local mode) gives the same results as on DuckDB."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.investigate.conftest import window
from xueliang.investigate.passes_generate import City
from xueliang.investigate.tactics import run
from xueliang.investigate.tactics.engines import DuckEngine, SparkEngine
from xueliang.investigate.tactics.planted import planted_calls

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'xueliang[spark]')")
if shutil.which("java") is None:
    pytest.skip("Spark needs a Java runtime (java 17+) on PATH", allow_module_level=True)


@pytest.fixture(scope="session")
def spark(city_parquet: Path) -> Iterator[SparkEngine]:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    e = SparkEngine(parquet=city_parquet, master="local[2]")
    yield e
    e.spark.stop()


def _tactics(city: City) -> dict[str, Callable[[Any], run.TacticResult]]:
    t = city.truths
    return planted_calls(t) | {
        "frequent-area": lambda e: run.frequent(
            e, window=window(t.frequent_window), area_cameras=[c for _, c in t.frequent], min_passes=5
        ),
    }


def test_spark_and_duckdb_agree(spark: SparkEngine, duck: DuckEngine, city: City) -> None:
    for name, call in _tactics(city).items():
        on_duck, on_spark = call(duck), call(spark)
        if name == "companions":  # the pass details query too (once: each Spark query costs seconds)
            on_duck, on_spark = run.with_passes(duck, on_duck), run.with_passes(spark, on_spark)
        on_duck, on_spark = on_duck.to_json(), on_spark.to_json()
        assert (on_duck.pop("engine"), on_spark.pop("engine")) == ("duckdb", "spark")
        assert on_duck["count"] > 0, name
        assert on_spark == on_duck, name
