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

from xueliang.cli._common import FILE, FOLDER, db_option, open_db
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
            type=FOLDER,
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


def _run(name: str, opts: dict[str, Any], build: Callable[..., tuple[Any, Any]], params: dict[str, Any]) -> None:
    """The one body of every tactic command: window, the tactic's call and reads, run, print."""
    from xueliang.investigate.tactics.service import execute
    from xueliang.storage.database import check_actor

    w = _window(opts.pop("from_"), opts.pop("to"))
    call, reads = build(w, opts["db_url"], **params)
    actor = None if opts["actor"] is None else check_actor(opts["actor"].strip(), source="--actor")
    result = execute(
        open_db(opts["db_url"]),
        name,
        call,
        engine=opts["engine"],
        master=opts["master"],
        parquet=opts["parquet"],
        reads=None if opts["parquet"] else reads,
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


def _cloned(w: Any, db_url: str | None, **o: Any) -> tuple[Any, Any]:
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import reads_for

    def call(e: Any) -> Any:
        return run.cloned_plates(
            e,
            window=w,
            max_kmh=o["max_kmh"],
            min_km=o["min_km"],
            min_support=o["min_support"],
            attributes=not o["no_attributes"],
        )

    return call, reads_for("cloned-plates", w)


def _companions(w: Any, db_url: str | None, **o: Any) -> tuple[Any, Any]:
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import reads_for

    plate = _plate(o["plate"])

    def call(e: Any) -> Any:
        return run.companions(e, plate=plate, window=w, seconds=o["seconds"], k=o["k"], min_days=o["min_days"])

    return call, reads_for("companions", w, seconds=o["seconds"])


def _first_entry(w: Any, db_url: str | None, **o: Any) -> tuple[Any, Any]:
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import reads_for

    cams = _ids(o["entries"])
    _check_cameras(db_url, cams, "--entry")

    def call(e: Any) -> Any:
        return run.first_entry(e, entry_cameras=cams, window=w, lookback_days=o["lookback_days"])

    return call, reads_for("first-entry", w, lookback_days=o["lookback_days"])


def _footholds(w: Any, db_url: str | None, **o: Any) -> tuple[Any, Any]:
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import reads_for

    plate = _plate(o["plate"])

    def call(e: Any) -> Any:
        return run.footholds(
            e, plate=plate, window=w, gap_hours=o["gap_hours"], radius_m=o["radius"], min_ends=o["min_ends"]
        )

    return call, reads_for("footholds", w, plate=plate)


def _nocturnal(w: Any, db_url: str | None, **o: Any) -> tuple[Any, Any]:
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import reads_for

    try:
        start_h, end_h = (float(x) for x in o["night"].split("-"))
    except ValueError as exc:
        raise InputError("--night", f"expected START-END hours like 22-6, got {o['night']!r}") from exc

    def call(e: Any) -> Any:
        return run.nocturnal(
            e,
            window=w,
            night_start_h=start_h,
            night_end_h=end_h,
            min_share=o["min_share"],
            min_passes=o["min_passes"],
            min_nights=o["min_nights"],
        )

    return call, reads_for("nocturnal", w)


def _frequent(w: Any, db_url: str | None, **o: Any) -> tuple[Any, Any]:
    from xueliang.investigate.search import Place, camera_positions, cameras_near
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import reads_for

    area = _ids(o["cameras"])
    if area:
        _check_cameras(db_url, area, "--camera")
    if o["near"]:
        found = cameras_near(camera_positions(open_db(db_url)), Place.parse(o["near"]))
        if not found:
            raise InputError("--near", f"expected checkpoints within the radius, got none near {o['near']}")
        area = sorted(set(area) | set(found))

    def call(e: Any) -> Any:
        return run.frequent(e, window=w, min_passes=o["min_passes"], area_cameras=area)

    return call, reads_for("frequent", w, area=area)


def _area(w: Any, db_url: str | None, **o: Any) -> tuple[Any, Any]:
    from xueliang.investigate.scenes import load_scenes, parse_scene_arg
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import reads_for, scene_cameras

    parsed = [parse_scene_arg(s, index=i + 1) for i, s in enumerate(o["scenes"])]
    if o["scene_file"]:
        parsed += load_scenes(Path(o["scene_file"]))
    if not parsed:
        raise InputError("--scene", "expected at least one scene, got none")
    resolved = scene_cameras(open_db(db_url), parsed)

    def call(e: Any) -> Any:
        return run.area_collision(e, scenes=resolved, k=o["k"])

    return call, reads_for("area-collision", w, scenes=resolved)


_PLATE = click.option("--plate", required=True, help="The target plate (exact).")
# name -> (help, the tactic's own options, what builds its call and reads); the common options are added to each
TACTICS: dict[str, tuple[str, list[Any], Callable[..., tuple[Any, Any]]]] = {
    "cloned-plates": (
        "套牌: one plate at two checkpoints too far apart for the time between, or with conflicting attributes.",
        [
            click.option(
                "--max-kmh", default=150.0, show_default=True, help="Impossible above this straight-line speed."
            ),
            click.option("--min-km", default=1.0, show_default=True, help="Ignore checkpoints closer than this."),
            click.option(
                "--min-support", default=2, show_default=True, help="Passes each conflicting attribute value needs."
            ),
            click.option("--no-attributes", is_flag=True, help="Speed only: skip the colour/class/brand conflicts."),
        ],
        _cloned,
    ),
    "companions": (
        "同行车: vehicles passing k of the plate's checkpoints within +-seconds, on several days.",
        [
            _PLATE,
            click.option(
                "--seconds", default=120, show_default=True, help="Within +- this many seconds of the target."
            ),
            click.option(
                "-k", "k", default=3, show_default=True, help="Shared checkpoints on one day to count the day."
            ),
            click.option(
                "--min-days",
                type=int,
                default=None,
                help="Days together needed (default: 2, or one per 30 days the plate was seen).",
            ),
        ],
        _companions,
    ),
    "first-entry": (
        "首次入城: vehicles entering at an entry checkpoint in [--from, --to], unseen in the look-back window.",
        [
            click.option(
                "--entry", "entries", multiple=True, required=True, metavar="CAMERA", help="Entry checkpoint(s)."
            ),
            click.option(
                "--lookback-days", default=30.0, show_default=True, help="Not seen anywhere this long before."
            ),
        ],
        _first_entry,
    ),
    "footholds": (
        "落脚点: where the plate's trips end (last passes before long gaps), clustered.",
        [
            _PLATE,
            click.option("--gap-hours", default=2.0, show_default=True, help="A trip ends before a gap this long."),
            click.option(
                "--radius", default=300.0, show_default=True, help="Cluster trip ends within this many metres."
            ),
            click.option("--min-ends", default=2, show_default=True, help="Trip ends a foothold needs."),
        ],
        _footholds,
    ),
    "nocturnal": (
        "昼伏夜出: vehicles whose passes are mostly at night (local +08:00).",
        [
            click.option(
                "--night", default="22-6", show_default=True, metavar="START-END", help="Night hours (local)."
            ),
            click.option("--min-share", default=0.8, show_default=True),
            click.option("--min-passes", default=10, show_default=True),
            click.option("--min-nights", default=3, show_default=True),
        ],
        _nocturnal,
    ),
    "frequent": (
        "频繁过车: at least n passes at one checkpoint (or over an area) in the window.",
        [
            click.option("--min-passes", default=8, show_default=True),
            click.option(
                "--camera", "cameras", multiple=True, metavar="ID", help="An area: these checkpoints together."
            ),
            click.option("--near", metavar="LON,LAT,METRES", help="An area: checkpoints within METRES of a place."),
        ],
        _frequent,
    ),
    "area-collision": (
        "区域碰撞: plates passing the checkpoints near k of several scenes within their windows.",
        [
            click.option("--scene", "scenes", multiple=True, metavar="LON,LAT,M,FROM,TO", help="A scene (repeat)."),
            click.option("--scenes", "scene_file", type=FILE, help="Scenes from a JSON or CSV file."),
            click.option("-k", "k", default=2, show_default=True, help="Seen at >= k scenes."),
        ],
        _area,
    ),
}


def _command(name: str, doc: str, options: list[Any], build: Callable[..., tuple[Any, Any]]) -> None:
    common = {"from_", "to", "engine", "master", "parquet", "case_id", "actor", "as_json", "db_url"}

    def cmd(**kwargs: Any) -> None:
        opts = {k: v for k, v in kwargs.items() if k in common}
        _run(name, opts, build, {k: v for k, v in kwargs.items() if k not in common})

    cmd.__doc__ = doc
    cmd = _common(cmd)
    for o in reversed(options):
        cmd = o(cmd)
    tactics.command(name)(cmd)


for _name, (_doc, _options, _build) in TACTICS.items():
    _command(_name, _doc, _options, _build)


def _ids(raw: tuple[str, ...]) -> list[str]:
    return [c.strip() for r in raw for c in r.split(",") if c.strip()]


def _plate(value: str) -> str:
    from xueliang.investigate.tactics.service import check_plate

    return check_plate(value)


def _check_cameras(db_url: str | None, cams: list[str], option: str) -> None:
    from xueliang.investigate.tactics.service import check_cameras

    check_cameras(open_db(db_url), cams, option)
