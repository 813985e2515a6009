"""The camera catalogue: models a planner can buy, with their optics and installed cost."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xueliang.config import load_model, parse_model
from xueliang.errors import ConfigError, SchemaError
from xueliang.storage.files import decode_text


class CameraModel(BaseModel):
    """One purchasable camera; ``cost`` includes pole, power and fibre."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    kind: Literal["bullet", "dome", "ptz"] = "bullet"
    fov_deg: float = Field(gt=0, le=360)
    resolution_px: int = Field(ge=16)
    height_m: float = Field(6.0, ge=0)
    cost: float = Field(gt=0)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: list[CameraModel] = Field(min_length=1)


# Typical 2024 street-camera prices (CNY, installed with pole, power and fibre); replace with yours.
DEFAULT_CATALOGUE = Catalogue(
    models=[
        CameraModel(name="bullet-4mp-6mm", kind="bullet", fov_deg=50, resolution_px=2560, height_m=6, cost=6000),
        CameraModel(name="bullet-4mp-2.8mm", kind="bullet", fov_deg=95, resolution_px=2560, height_m=5, cost=5000),
        CameraModel(name="bullet-8mp-12mm", kind="bullet", fov_deg=30, resolution_px=3840, height_m=6, cost=9000),
        CameraModel(name="dome-4mp", kind="dome", fov_deg=60, resolution_px=2560, height_m=6, cost=12000),
    ]
)


def load_catalogue(path: str | Path | None) -> Catalogue:
    """CSV (``name,kind,fov_deg,resolution_px,height_m,cost``) or TOML/JSON (``[[models]]``)."""
    if path is None:
        return DEFAULT_CATALOGUE
    p = Path(path)
    if p.suffix.lower() != ".csv":
        return load_model(p, Catalogue)
    if not p.is_file():
        raise ConfigError(str(p), "no such file")
    rows = list(csv.DictReader(decode_text(p.read_bytes(), str(p))[0].splitlines()))
    models = []
    for i, row in enumerate(rows, start=2):
        clean = {k.strip(): v.strip() for k, v in row.items() if k and v is not None and v.strip() != ""}
        try:
            models.append(parse_model(clean, CameraModel, source=f"{p}: line {i}"))
        except ConfigError as exc:
            raise SchemaError(str(p), exc.detail, where=f"line {i}") from None
    return parse_model({"models": [m.model_dump() for m in models]}, Catalogue, source=str(p))
