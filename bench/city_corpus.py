"""The city corpus as a user runs it: for each real extract, with the cameras mapped in it,
`xueliang coverage`, `xueliang plan --budget 100000` and `xueliang report --no-pdf`, each a separate process.

Prints the README table (city, cameras kept/dropped, targets per class, seconds) in Markdown. Seconds are
CPU seconds (user + system) of the three processes, which stay meaningful on a shared machine; wall
seconds are printed beside them. Usage: python bench/city_corpus.py [--plan-limit 2] [--only london]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT.parent / "shared/data/osm"
CITIES = [
    *sorted((OSM / "cities").glob("*.osm.pbf")),
    OSM / "monaco_osrm_2016.osm.pbf",
    OSM / "andorra_valhalla_2020.osm.pbf",
    OSM / "campo_grande_graphhopper_2013.osm.gz",
]
SHORT = {
    "intersections": "int",
    "main_road_nodes": "main",
    "crowded_areas": "crowd",
    "key_sites": "sites",
    "boundary_crossings": "cross",
}


def run(args: list[str]) -> tuple[float, float]:
    """CPU and wall seconds of one ``xueliang`` command (fails loudly on a non-zero exit)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "xueliang", *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"xueliang {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plan-limit", type=float, default=2.0, help="Solver time limit of the plan (s).")
    ap.add_argument("--only", nargs="*", default=None, help="Cities whose file name starts with these.")
    a = ap.parse_args()
    cities = [c for c in CITIES if not a.only or c.name.startswith(tuple(a.only))]
    print(f"plan --budget 100000 with a {a.plan_limit:g} s solver limit; seconds = CPU (wall) of the 3 commands\n")
    print("| city | cameras kept | dropped (reasons) | targets: " + " / ".join(SHORT.values()) + " | seconds |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        limit = Path(tmp) / "targets.toml"
        limit.write_text(f"time_limit_s = {a.plan_limit}\n", encoding="utf-8")
        for osm in cities:
            name = osm.name.split(".")[0]
            out = Path(tmp) / name
            cov, plan, rep = out / "coverage", out / "plan", out / "report"
            cpu = wall = 0.0
            inputs = ["--osm", str(osm), "--cameras", str(osm)]
            for args in (
                ["coverage", *inputs, "--out", str(cov), "--no-map"],
                ["plan", *inputs, "--budget", "100000", "--targets", str(limit), "--out", str(plan)],
                ["report", "--coverage", str(cov), "--plan", str(plan), "--no-pdf", "--out", str(rep)],
            ):
                c, w = run(args)
                cpu, wall = cpu + c, wall + w
            s = json.loads((cov / "summary.json").read_text(encoding="utf-8"))
            imp = s["camera_import"]
            kept = f"{imp['records'] - imp['records_left_out']} nodes"
            if imp["cameras"] != imp["records"] - imp["records_left_out"]:
                kept += f" ({imp['cameras']} views)"
            if imp["records_with_unusable_tags"]:
                kept += f", {imp['records_with_unusable_tags']} with unusable tags"
            why = "; ".join(f"{n} {r}" for r, n in imp["left_out_reasons"].items())
            dropped = f"{imp['records_left_out']}" + (f" ({why})" if why else "")
            targets = " / ".join(str(s["classes"][k]["total"]) for k in SHORT)
            print(f"| {name} | {kept} | {dropped} | {targets} | {cpu:.0f} ({wall:.0f}) |", flush=True)


if __name__ == "__main__":
    main()
