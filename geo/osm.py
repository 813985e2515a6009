"""Reading OSM extracts (.osm.pbf, .osm XML, .osm.gz) through GDAL's OSM driver via pyogrio."""

from __future__ import annotations

import gzip
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from xueliang.errors import InputError
from xueliang.storage.files import sha256_file

OSM_SUFFIXES = (".osm", ".pbf", ".osm.gz", ".osm.bz2")


def readable_path(path: Path) -> Path:
    """GDAL reads .osm and .pbf directly; a gzipped or bzip2ed .osm is unpacked to a temporary file once."""
    name = path.name.lower()
    if name.endswith((".gz", ".bz2")):
        import bz2

        opener = gzip.open if name.endswith(".gz") else bz2.open
        digest = sha256_file(path)[:16]
        out = Path(tempfile.gettempdir()) / f"xueliang-osm-{digest}.osm"
        if not out.exists():
            tmp = out.with_suffix(".part")
            try:
                with opener(path, "rb") as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (OSError, EOFError, ValueError) as exc:
                tmp.unlink(missing_ok=True)
                raise InputError(str(path), f"not a readable compressed file: {exc}") from None
            tmp.replace(out)
        return out
    return path


def read_layer(path: str | Path, layer: str, *, where: str | None = None) -> gpd.GeoDataFrame:
    """One layer (``points``, ``lines``, ``multilinestrings``, ``multipolygons``) in EPSG:4326."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such file")
    if not p.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(str(p), "not an OSM extract: expected .osm, .osm.pbf, .osm.gz or .osm.bz2")
    src = readable_path(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # clipped extracts hold broken rings (2-point LinearRings): those features are dropped
            gdf = pyogrio.read_dataframe(src, layer=layer, where=where, on_invalid="ignore")
    except (DataSourceError, DataLayerError) as exc:
        raise InputError(str(p), f"not a readable OSM file ({str(exc).splitlines()[0]})") from None
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    return gdf[gdf.geometry.notna()].reset_index(drop=True)


def tag(gdf: gpd.GeoDataFrame, key: str) -> pd.Series:
    """Values of OSM tag ``key``: GDAL's own column when it has one, else parsed from ``other_tags``."""
    if key in gdf.columns and key != "geometry":
        return pd.Series(gdf[key].astype("object"))
    if "other_tags" not in gdf.columns:
        return pd.Series([None] * len(gdf), index=gdf.index, dtype="object")
    pattern = '"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
    return pd.Series(gdf["other_tags"].astype("string").str.extract(pattern, expand=False).astype("object"))


def match_tags(gdf: gpd.GeoDataFrame, tags: dict[str, list[str]]) -> tuple[pd.Series, pd.Series]:
    """Rows matching any ``key in values`` (``"*"`` = any value) and, for each, the ``key=value`` that matched."""
    hit = pd.Series(False, index=gdf.index)
    kind = pd.Series([None] * len(gdf), index=gdf.index, dtype="object")
    for key, values in tags.items():
        col = tag(gdf, key)
        m = col.notna() if "*" in values else col.isin(values)
        m &= ~hit
        kind[m] = key + "=" + col[m].astype(str)
        hit |= m
    return hit, kind
