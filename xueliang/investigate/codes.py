"""GA/T 1400 code tables read from checkpoint pass records (the reverse of :mod:`xueliang.investigate.gat1400`).

Documented in docs/tactics.md with their approximations. Colours and plate colours use the
GA/T 1400.3 ``ColorType`` table as we read it; vehicle classes use GA 24.4 vehicle-type codes
(``K33`` sedan ...): the first letter and digit give the family, a few full codes are refined.
"""

from __future__ import annotations

import re

# ColorType: code -> our colour label (VehicleColor, PlateColor).
COLOUR_OF_CODE: dict[str, str] = {
    "1": "black",
    "2": "white",
    "3": "grey",
    "4": "red",
    "5": "blue",
    "6": "yellow",
    "7": "orange",
    "8": "brown",
    "9": "green",
    "10": "purple",
    "11": "cyan",
    "12": "pink",
    "13": "transparent",
    "99": "other",
}

# GA 24.4 vehicle-type codes: exact codes first, then the letter+digit family, then the letter.
VEHICLE_TYPE_OF_CODE: dict[str, str] = {
    "K33": "sedan",  # 轿车
    "K32": "suv",  # 小型越野客车
    "K31": "van",  # 小型普通客车 (approximation: most private MPVs/hatchbacks are K31; round-trips our export)
    "H31": "pickup",  # 轻型普通货车 (approximation, as in the export)
}
VEHICLE_TYPE_OF_FAMILY: dict[str, str] = {
    "K1": "bus",  # 大型客车
    "K2": "bus",  # 中型客车
    "K3": "van",  # 小型客车, other than K31-K33 above
    "K4": "van",  # 微型客车
    "H1": "truck",  # 重型货车
    "H2": "truck",  # 中型货车
    "H3": "pickup",  # 轻型货车
    "H4": "pickup",  # 微型货车
    "H5": "truck",  # 低速货车
}
VEHICLE_TYPE_OF_LETTER: dict[str, str] = {
    "Q": "truck",  # 牵引车
    "Z": "truck",  # 专项作业车
    "G": "truck",  # 全挂车
    "B": "truck",  # 半挂车
    "M": "motorcycle",  # 摩托车
    "N": "other",  # 三轮汽车
    "T": "other",  # 拖拉机
    "J": "other",  # 轮式机械
    "D": "other",  # 电车
    "X": "other",  # 其他 (X99)
}
DETECTOR_CLASS_OF_TYPE: dict[str, str] = {"bus": "bus", "truck": "truck", "pickup": "truck", "motorcycle": "motorcycle"}
_CLASS_CODE = re.compile(r"^[A-Z][0-9]{2}$")


def vehicle_type_of(code: str) -> str | None:
    """Our vehicle type for a GA 24.4 code, or None when the code is not of the form letter+2 digits
    or its letter is not a GA 24.4 family."""
    code = code.strip().upper()
    if not _CLASS_CODE.match(code):
        return None
    return VEHICLE_TYPE_OF_CODE.get(code) or VEHICLE_TYPE_OF_FAMILY.get(code[:2]) or VEHICLE_TYPE_OF_LETTER.get(code[0])


def detector_class_of(vehicle_type: str) -> str:
    """The detector class a video sighting of this type would carry (car, bus, truck, motorcycle)."""
    return DETECTOR_CLASS_OF_TYPE.get(vehicle_type, "car")
