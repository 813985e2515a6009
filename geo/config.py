"""The coverage run's typed configuration (one TOML/JSON file; unknown keys are rejected)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xueliang.config import load_model

Level = str | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CameraDefaults(_Strict):
    """Values assumed where the registry does not say; each is reported in summary.json."""

    fov_deg: float = Field(90.0, gt=0, le=360)
    resolution_px: int = Field(1920, ge=16)
    height_m: float = Field(4.0, ge=0)
    omni_lens_fov_deg: float = Field(60.0, gt=0, lt=180)


class IntersectionsConfig(_Strict):
    enabled: bool = True
    min_streets: int = Field(3, ge=3)
    tolerance_m: float = Field(10.0, ge=0)
    level: Level | None = None


class MainRoadConfig(_Strict):
    enabled: bool = True
    highways: list[str] = ["trunk", "primary", "secondary"]
    spacing_m: float = Field(100.0, gt=0)
    tolerance_m: float = Field(20.0, ge=0)
    level: Level | None = None


class CrowdedConfig(_Strict):
    enabled: bool = True
    tags: dict[str, list[str]] = {
        "amenity": ["marketplace", "bus_station"],
        "shop": ["mall", "department_store", "supermarket"],
        "place": ["square", "plaza"],
        "landuse": ["retail", "commercial"],
        "railway": ["station", "halt"],
        "public_transport": ["station"],
        "highway": ["pedestrian"],
    }
    point_radius_m: float = Field(50.0, gt=0)
    covered_fraction: float = Field(0.8, ge=0, le=1)
    areas_file: Path | None = None
    level: Level | None = None


class KeySitesConfig(_Strict):
    enabled: bool = True
    tags: dict[str, list[str]] = {
        "amenity": ["school", "kindergarten", "hospital", "clinic", "bank", "police", "townhall", "courthouse"],
        "office": ["government"],
    }
    sites_file: Path | None = None
    level: Level | None = None


class BoundaryConfig(_Strict):
    enabled: bool = True
    admin_levels: list[int] = [6, 7, 8, 9, 10]
    boundaries_file: Path | None = None
    tolerance_m: float = Field(20.0, ge=0)
    level: Level | None = None


class VillagesConfig(_Strict):
    admin_level: int | None = None
    min_channels: int = Field(6, ge=1)


class CoverageConfig(_Strict):
    level: Level = "recognition"
    scale: Literal["iec62676-4", "iec62676-4:2025"] = "iec62676-4"
    unknown_direction: Literal["not-covering", "omni"] = "not-covering"
    occlusion: bool = True
    buildings_file: Path | None = None
    los_clearance_m: float = Field(0.5, ge=0)
    view_ray_step_deg: float = Field(2.5, gt=0, le=45)
    drivable: list[str] = [
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
        "road",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
    ]
    excluded_service: list[str] = ["parking_aisle", "driveway", "drive-through", "emergency_access"]
    camera_defaults: CameraDefaults = CameraDefaults()
    intersections: IntersectionsConfig = IntersectionsConfig()
    main_road_nodes: MainRoadConfig = MainRoadConfig()
    crowded_areas: CrowdedConfig = CrowdedConfig()
    key_sites: KeySitesConfig = KeySitesConfig()
    boundary_crossings: BoundaryConfig = BoundaryConfig()
    villages: VillagesConfig = VillagesConfig()

    def class_level(self, name: str) -> Level:
        lvl: Level | None = getattr(self, name).level
        return self.level if lvl is None else lvl


def load_coverage_config(path: str | Path | None) -> CoverageConfig:
    return CoverageConfig() if path is None else load_model(path, CoverageConfig)
