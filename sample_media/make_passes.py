"""Make the demo's checkpoint pass records (``passes_night.json``) for the sample town's cameras.

    python sample_media/make_passes.py            # rewrites sample_media/passes_night.json

One night (2024-05-01 00:00-06:00, +08:00) of GA/T 1400 ``MotorVehicleObject`` records at the 19
cameras of ``cameras.csv``: 240 ordinary vehicles passing 1-4 cameras each, plus the case the
programme is known for, planted so that the demo's answers can be checked by eye:

* a white SUV with a covered plate (``HasPlate=1``, ``IsCovered=1``, no ``PlateNo``) passes the
  three theft scenes (``SCENES``) between 01:00 and 04:00;
* its companion ``湘A7K2Q9`` (a grey sedan) passes the same cameras a minute behind it, and then
  drives on to the town exit (CAM019): the vehicle the multi-scene query finds at all three scenes;
* two other vehicles happen to pass one scene each at the right time (near misses).

Deterministic (fixed seed). The scenes are also printed by the demo.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
TZ = dt.timezone(dt.timedelta(hours=8))
NIGHT = dt.datetime(2024, 5, 1, 0, 0, tzinfo=TZ)
#: (camera next to the scene, minutes after midnight the masked SUV passes it)
SCENES = (("CAM003", 72), ("CAM013", 131), ("CAM010", 205))
COMPANION = "湘A7K2Q9"
COLOURS = ("2", "2", "1", "1", "3", "3", "5", "4")  # GA/T 1400 ColorType: white, black, grey, blue, red
CLASSES = ("K33", "K33", "K33", "K32", "K31", "H31", "K11")  # sedan, SUV, van, pickup, bus
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def cameras() -> list[dict[str, str]]:
    with open(HERE / "cameras.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def record(n: int, camera: str, at: dt.datetime, **fields: str) -> dict[str, str]:
    return {
        "MotorVehicleID": f"DEMO{n:06d}",
        "DeviceID": camera,
        "PassTime": at.strftime("%Y%m%d%H%M%S"),
        "HasPlate": "1",
        "IsCovered": "0",
        "LaneNo": "1",
        **fields,
    }


def make() -> list[dict[str, str]]:
    rng = random.Random(20240501)
    cams = [c["camera_id"] for c in cameras()]
    out: list[dict[str, str]] = []
    for _ in range(240):
        plate = "湘A" + "".join(rng.choice(LETTERS + "0123456789") for _ in range(5))
        colour, cls = rng.choice(COLOURS), rng.choice(CLASSES)
        t = NIGHT + dt.timedelta(minutes=rng.uniform(0, 330))
        for cam in rng.sample(cams, rng.randint(1, 4)):
            out.append(record(len(out), cam, t, PlateNo=plate, PlateColor="5", VehicleColor=colour, VehicleClass=cls))
            t += dt.timedelta(minutes=rng.uniform(2, 9))
    for i, (cam, minute) in enumerate(SCENES):
        at = NIGHT + dt.timedelta(minutes=minute)
        # the masked white SUV, and its companion a minute behind it
        out.append(record(len(out), cam, at, HasPlate="1", IsCovered="1", VehicleColor="2", VehicleClass="K32"))
        behind = at + dt.timedelta(seconds=50 + 10 * i)
        out.append(
            record(len(out), cam, behind, PlateNo=COMPANION, PlateColor="5", VehicleColor="3", VehicleClass="K33")
        )
        # a near miss: another vehicle at this one scene only
        near = "湘A" + "".join(rng.choice(LETTERS + "0123456789") for _ in range(5))
        at2 = at + dt.timedelta(minutes=rng.uniform(-20, 20))
        out.append(record(len(out), cam, at2, PlateNo=near, PlateColor="5", VehicleColor="2", VehicleClass="K32"))
    exit_at = NIGHT + dt.timedelta(minutes=SCENES[-1][1] + 9)
    out.append(
        record(len(out), "CAM019", exit_at, PlateNo=COMPANION, PlateColor="5", VehicleColor="3", VehicleClass="K33")
    )
    out.sort(key=lambda r: (r["PassTime"], r["MotorVehicleID"]))
    return out


def main() -> None:
    path = HERE / "passes_night.json"
    doc = {"MotorVehicleListObject": {"MotorVehicleObject": make()}}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(doc['MotorVehicleListObject']['MotorVehicleObject'])} records)")


if __name__ == "__main__":
    main()
