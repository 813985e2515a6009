"""``xueliang tactics NAME``: vehicle tactics over sightings (checkpoint passes and video), thin shells.

Each subcommand parses its parameters, opens an engine (DuckDB by default; ``--engine spark``),
calls :mod:`xueliang.investigate.tactics.run`, writes the audit row (and the case's query row with
``--case``) and prints a table or JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from xueliang.cli._common import db_option, open_db
from xueliang.cli._lang import _
from xueliang.errors import InputError


def _common(func: Any) -> Any:
    opts = [
        click.option("--from", "from_", metavar="ISO8601", help="Window start (no offset = UTC)."),
        click.option("--to", metavar="ISO8601", help="Window end."),
        click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True),
        click.option("--master", default="local[2]", show_default=True, help="Spark master URL (--engine spark)."),
        click.option(
            "--parquet",
            type=click.Path(file_okay=False),
            help="Read passes from this Parquet export (`xueliang passes export`) instead of the database.",
        ),
        click.option("--case", "case_id", metavar="ID", help="Record this run for an investigation."),
        click.option("--actor", metavar="NAME", help="Who is asking, for the audit log (default: OS user)."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON: results, their passes."),
        db_option,
    ]
    for o in reversed(opts):
        func = o(func)
    return func


def _window(from_: str | None, to: str | None) -> Any:
    from xueliang.investigate.search import parse_time
    from xueliang.investigate.tactics.run import Window

    return Window(
        None if from_ is None else parse_time(from_, source="--from"),
        None if to is None else parse_time(to, source="--to"),
    )


def _run(name: str, opts: dict[str, Any], call: Callable[[Any], Any]) -> None:
    from xueliang.investigate.tactics.service import execute
    from xueliang.storage.database import check_actor

    actor = None if opts["actor"] is None else check_actor(opts["actor"].strip(), source="--actor")
    result = execute(
        open_db(opts["db_url"]),
        name,
        call,
        engine=opts["engine"],
        master=opts["master"],
        parquet=opts["parquet"],
        actor=actor,
        case_id=opts["case_id"],
    )
    if opts["as_json"]:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2, sort_keys=True, default=str))
        return
    click.echo(_("%(name)s: %(n)s result(s) (%(engine)s)", name=name, n=len(result.hits), engine=result.engine))
    for h in result.hits:
        measures = ", ".join(f"{k} {v}" for k, v in h.measures.items())
        more = " ..." if len(h.pass_ids) > 12 else ""
        click.echo(f"  {h.key}: {measures}; passes {', '.join(map(str, h.pass_ids[:12]))}{more}")


@click.group()
def tactics() -> None:
    """Vehicle tactics (技战法) over checkpoint passes and indexed sightings; definitions in docs/tactics.md."""


@tactics.command("cloned-plates")
@click.option("--max-kmh", default=150.0, show_default=True, help="Impossible above this straight-line speed.")
@click.option("--min-km", default=1.0, show_default=True, help="Ignore checkpoints closer than this.")
@click.option("--min-support", default=2, show_default=True, help="Passes each conflicting attribute value needs.")
@click.option("--no-attributes", is_flag=True, help="Speed only: skip the colour/class/brand conflicts.")
@_common
def cloned_cmd(max_kmh: float, min_km: float, min_support: int, no_attributes: bool, **opts: Any) -> None:
    """套牌: one plate at two checkpoints too far apart for the time between, or with conflicting attributes."""
    from xueliang.investigate.tactics import run

    w = _window(opts.pop("from_"), opts.pop("to"))
    _run(
        "cloned-plates",
        opts,
        lambda e: run.cloned_plates(
            e, window=w, max_kmh=max_kmh, min_km=min_km, min_support=min_support, attributes=not no_attributes
        ),
    )


@tactics.command("companions")
@click.option("--plate", required=True, help="The target plate (exact).")
@click.option("--seconds", default=120, show_default=True, help="Within +- this many seconds of the target.")
@click.option("-k", "k", default=3, show_default=True, help="Shared checkpoints on one day to count the day.")
@click.option("--min-days", default=2, show_default=True, help="Days together needed.")
@_common
def companions_cmd(plate: str, seconds: int, k: int, min_days: int, **opts: Any) -> None:
    """同行车: vehicles passing k of the plate's checkpoints within +-seconds, on several days."""
    from xueliang.investigate.tactics import run

    w = _window(opts.pop("from_"), opts.pop("to"))
    target = _plate(plate)
    _run(
        "companions",
        opts,
        lambda e: run.companions(e, plate=target, window=w, seconds=seconds, k=k, min_days=min_days),
    )


@tactics.command("first-entry")
@click.option("--entry", "entries", multiple=True, required=True, metavar="CAMERA", help="Entry checkpoint(s).")
@click.option("--lookback-days", default=30.0, show_default=True, help="Not seen anywhere this long before.")
@_common
def first_entry_cmd(entries: tuple[str, ...], lookback_days: float, **opts: Any) -> None:
    """首次入城: vehicles entering at an entry checkpoint in [--from, --to], unseen in the look-back window."""
    from xueliang.investigate.tactics import run

    w = _window(opts.pop("from_"), opts.pop("to"))
    cams = [c.strip() for raw in entries for c in raw.split(",") if c.strip()]
    _check_cameras(opts["db_url"], cams, "--entry")
    _run("first-entry", opts, lambda e: run.first_entry(e, entry_cameras=cams, window=w, lookback_days=lookback_days))


@tactics.command("footholds")
@click.option("--plate", required=True)
@click.option("--gap-hours", default=2.0, show_default=True, help="A trip ends before a gap this long.")
@click.option("--radius", default=300.0, show_default=True, help="Cluster trip ends within this many metres.")
@click.option("--min-ends", default=2, show_default=True, help="Trip ends a foothold needs.")
@_common
def footholds_cmd(plate: str, gap_hours: float, radius: float, min_ends: int, **opts: Any) -> None:
    """落脚点: where the plate's trips end (last passes before long gaps), clustered."""
    from xueliang.investigate.tactics import run

    w = _window(opts.pop("from_"), opts.pop("to"))
    target = _plate(plate)
    _run(
        "footholds",
        opts,
        lambda e: run.footholds(e, plate=target, window=w, gap_hours=gap_hours, radius_m=radius, min_ends=min_ends),
    )


@tactics.command("nocturnal")
@click.option("--night", default="22-6", show_default=True, metavar="START-END", help="Night hours (local).")
@click.option("--min-share", default=0.8, show_default=True)
@click.option("--min-passes", default=10, show_default=True)
@click.option("--min-nights", default=3, show_default=True)
@_common
def nocturnal_cmd(night: str, min_share: float, min_passes: int, min_nights: int, **opts: Any) -> None:
    """昼伏夜出: vehicles whose passes are mostly at night (local +08:00)."""
    from xueliang.investigate.tactics import run

    w = _window(opts.pop("from_"), opts.pop("to"))
    try:
        start_h, end_h = (float(x) for x in night.split("-"))
    except ValueError as exc:
        raise InputError("--night", f"expected START-END hours like 22-6, got {night!r}") from exc
    _run(
        "nocturnal",
        opts,
        lambda e: run.nocturnal(
            e,
            window=w,
            night_start_h=start_h,
            night_end_h=end_h,
            min_share=min_share,
            min_passes=min_passes,
            min_nights=min_nights,
        ),
    )


@tactics.command("frequent")
@click.option("--min-passes", default=8, show_default=True)
@click.option("--camera", "cameras", multiple=True, metavar="ID", help="An area: these checkpoints together.")
@click.option("--near", metavar="LON,LAT,METRES", help="An area: checkpoints within METRES of a place.")
@_common
def frequent_cmd(min_passes: int, cameras: tuple[str, ...], near: str | None, **opts: Any) -> None:
    """频繁过车: at least n passes at one checkpoint (or over an area) in the window."""
    from xueliang.investigate.search import Place, camera_positions, cameras_near
    from xueliang.investigate.tactics import run

    w = _window(opts.pop("from_"), opts.pop("to"))
    area = [c.strip() for raw in cameras for c in raw.split(",") if c.strip()]
    if area:
        _check_cameras(opts["db_url"], area, "--camera")
    if near:
        found = cameras_near(camera_positions(open_db(opts["db_url"])), Place.parse(near))
        if not found:
            raise InputError("--near", f"expected checkpoints within the radius, got none near {near}")
        area = sorted(set(area) | set(found))
    _run("frequent", opts, lambda e: run.frequent(e, window=w, min_passes=min_passes, area_cameras=area))


@tactics.command("area-collision")
@click.option("--scene", "scenes", multiple=True, metavar="LON,LAT,M,FROM,TO", help="A scene (repeat).")
@click.option("--scenes", "scene_file", type=click.Path(dir_okay=False), help="Scenes from a JSON or CSV file.")
@click.option("-k", "k", default=2, show_default=True, help="Seen at >= k scenes.")
@_common
def area_cmd(scenes: tuple[str, ...], scene_file: str | None, k: int, **opts: Any) -> None:
    """区域碰撞: plates passing the checkpoints near k of several scenes within their windows."""
    from xueliang.investigate.scenes import load_scenes, parse_scene_arg
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import scene_cameras

    opts.pop("from_"), opts.pop("to")
    parsed = [parse_scene_arg(s, index=i + 1) for i, s in enumerate(scenes)]
    if scene_file:
        parsed += load_scenes(Path(scene_file))
    if not parsed:
        raise InputError("--scene", "expected at least one scene, got none")
    resolved = scene_cameras(open_db(opts["db_url"]), parsed)
    _run("area-collision", opts, lambda e: run.area_collision(e, scenes=resolved, k=k))


def _plate(value: str) -> str:
    from xueliang.investigate.tactics.service import check_plate

    return check_plate(value)


def _check_cameras(db_url: str | None, cams: list[str], option: str) -> None:
    from xueliang.investigate.tactics.service import check_cameras

    check_cameras(open_db(db_url), cams, option)
