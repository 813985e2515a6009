"""GA/T 1400-style ``MotorVehicleObject`` records and the code tables used for them.

The mapping from our labels to codes is documented in docs/search.md with where it approximates.
Colours use the GA/T 1400.3 ``ColorType`` table as we read it; vehicle classes use GA 24.4
vehicle-type codes (``VehicleClass``); plate colours use the same ``ColorType`` table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# ColorType (GA/T 1400.3): 1 black, 2 white, 3 grey, 4 red, 5 blue, 6 yellow, 7 orange, 8 brown,
# 9 green, 10 purple, 11 cyan, 12 pink, 13 transparent, 99 other.
COLOR_CODES: dict[str, str] = {
    "black": "1",
    "white": "2",
    "grey": "3",
    "gray": "3",
    "silver": "3",  # approximation: no silver code; silver is reported as grey
    "grey/silver": "3",
    "red": "4",
    "blue": "5",
    "yellow": "6",
    "orange": "7",
    "brown": "8",
    "brown-gold": "8",  # approximation: gold is reported as brown
    "gold": "8",
    "green": "9",
    "purple": "10",
    "cyan": "11",
    "pink": "12",
}
OTHER_COLOR = "99"

# VehicleClass (GA 24.4 vehicle-type codes). Approximations: our classes are visual, not registration.
VEHICLE_CLASS_CODES: dict[str, str] = {
    "sedan": "K33",  # 轿车
    "suv": "K32",  # 小型越野客车 (approximation: SUVs registered as K31 small passenger cars are common)
    "van": "K31",  # 小型普通客车 (approximation: also K21/K41 by size)
    "bus": "K11",  # 大型普通客车 (approximation: size unknown, large assumed)
    "pickup": "H31",  # 轻型普通货车 (approximation)
    "truck": "H11",  # 重型普通货车 (approximation: weight class unknown)
    "motorcycle": "M21",  # 普通二轮摩托车
}
OTHER_VEHICLE_CLASS = "X99"  # 其他

PLATE_COLOR_CODES: dict[str, str] = {
    "blue": "5",
    "yellow": "6",
    "white": "2",
    "black": "1",
    "green": "9",  # new-energy plates (green gradient) reported as green
}


def _code_time(t: dt.datetime) -> str:
    """GA/T 1400 DateTime: YYYYMMDDhhmmss in local time; we write UTC and say so in the manifest."""
    return t.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")


def motor_vehicle_object(
    *,
    sighting: Any,
    device_id: str,
    source_video_id: str,
    box: tuple[float, float, float, float] | None,
    thumbnail: str | None,
    frame: str | None,
    clip: str | None,
) -> dict[str, Any]:
    """One ``MotorVehicleObject`` from a sighting row (ORM or any object with its attributes)."""
    first = sighting.first_seen if sighting.first_seen.tzinfo else sighting.first_seen.replace(tzinfo=dt.UTC)
    last = sighting.last_seen if sighting.last_seen.tzinfo else sighting.last_seen.replace(tzinfo=dt.UTC)
    state = sighting.plate_state
    rec: dict[str, Any] = {
        "MotorVehicleID": f"{device_id}-{sighting.id:010d}",
        "InfoKind": 1,  # 1 = automatic (machine-extracted)
        "SourceID": source_video_id or None,  # None (omitted) for a checkpoint pass
        "DeviceID": device_id,
        "ShotTime": _code_time(first),
        "AppearTime": _code_time(first),
        "DisappearTime": _code_time(last),
        "HasPlate": "1" if state in ("visible", "covered") else "0" if state == "absent" else None,
        "IsCovered": "1" if state == "covered" else "0" if state in ("visible", "absent") else None,
        "PlateNo": sighting.plate_text or ("无车牌" if state == "absent" else "未识别"),
        "PlateColor": PLATE_COLOR_CODES.get(sighting.plate_colour or "", OTHER_COLOR)
        if sighting.plate_colour
        else None,
        "VehicleClass": VEHICLE_CLASS_CODES.get(sighting.vehicle_type, OTHER_VEHICLE_CLASS),
        "VehicleColor": COLOR_CODES.get(sighting.colour, OTHER_COLOR),
        "Direction": sighting.direction,
        "SubImageList": {
            "SubImageInfoObject": [
                {"Type": t, "FileFormat": fmt, "StoragePath": p}
                for t, fmt, p in (("09", "Jpeg", thumbnail), ("14", "Jpeg", frame), ("video", "Mp4", clip))
                if p
            ]
        },
    }
    if box is not None:
        x1, y1, x2, y2 = (round(v) for v in box)
        rec |= {"LeftTopX": x1, "LeftTopY": y1, "RightBtmX": x2, "RightBtmY": y2}
    return {k: v for k, v in rec.items() if v is not None}
