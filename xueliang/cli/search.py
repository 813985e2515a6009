"""``xueliang search | similar | trajectory | review | export``: investigator search, thin shells.

Each command parses options, calls :mod:`xueliang.investigate.search` and friends, prints a table (or JSON with
``--json``). Every search and export is written to the audit log with ``--actor`` (default: OS user).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from xueliang.cli._common import SQL_INT, db_option, opened_db
from xueliang.cli._lang import _, iso_time
from xueliang.errors import InputError, StorageError, XueliangError
from xueliang.investigate.link import DEFAULT_LINK_THRESHOLD


def _audit_refusals(action: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A refused search or export (bad input, unknown case, ...) still goes into the audit log, as
    ``<command>-refused`` with the options given and why; then the error is shown as usual. Put it above
    :func:`filter_options` so filters that fail to parse are audited too, as typed."""

    def deco(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> None:
            try:
                func(**kwargs)
            except XueliangError as exc:
                if not isinstance(exc, StorageError):  # no database to write to
                    with opened_db(kwargs.get("db_url")) as db:
                        db.audit(
                            actor=kwargs.get("actor"),
                            action=f"{action}-refused",
                            query={"options": {k: v for k, v in kwargs.items() if k != "db_url"}, "why": str(exc)},
                            result_count=None,
                        )
                raise

        return wrapper

    return deco


if TYPE_CHECKING:
    from xueliang.investigate.search import SightingQuery
    from xueliang.storage import Database


def _check_actor(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from xueliang.storage.database import check_actor

    return None if value is None else check_actor(value.strip(), source="--actor")


def _actor(func: Any) -> Any:
    return click.option(
        "--actor", metavar="NAME", callback=_check_actor, help="Who is asking, for the audit log (default: OS user)."
    )(func)


def _case(func: Any) -> Any:
    return click.option(
        "--case", "case_id", metavar="ID", help="Record this query for an investigation (created if new)."
    )(func)


def _media(func: Any) -> Any:
    return click.option(
        "--media",
        type=click.Path(file_okay=False),
        help="Media folder holding the ANN index (default: $XUELIANG_MEDIA, else ./xueliang-media).",
    )(func)


def _media_dir(explicit: str | None) -> Path | None:
    """The media folder when one is configured: --media, $XUELIANG_MEDIA, or ./xueliang-media if it exists."""
    from xueliang.config import MEDIA_ENV, resolve_media_dir

    path = resolve_media_dir(explicit)
    return path if explicit or os.environ.get(MEDIA_ENV) or path.is_dir() else None


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def _emit(result: Any, as_json: bool, lines: Iterable[str], total: str) -> None:
    """``result.to_json()`` with --json; else one line per result (``lines`` is read only then) and ``total``."""
    if as_json:
        _echo_json(result.to_json())
        return
    for line in lines:
        click.echo(line)
    click.echo(total)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({v.strip().lower() for raw in values for v in raw.split(",") if v.strip()}))


_FILTER_PARAMS = ("det", "vtype", "colour", "state", "plate", "exact", "from_", "to", "cameras", "near")


def _filters(
    *,
    det: tuple[str, ...],
    vtype: tuple[str, ...],
    colour: tuple[str, ...],
    state: tuple[str, ...],
    plate: str | None,
    exact: bool,
    from_: str | None,
    to: str | None,
    cameras: tuple[str, ...],
    near: str | None,
) -> SightingQuery:
    from xueliang.investigate.plates_match import parse_plate_pattern
    from xueliang.investigate.search import Place, SightingQuery, TimeWindow, parse_time

    window = None
    if from_ or to:
        if not (from_ and to):
            raise InputError("--from/--to", "expected both ends of the time window, got only one")
        window = TimeWindow(parse_time(from_, source="--from"), parse_time(to, source="--to"))
    return SightingQuery(
        detector_classes=_split(det),
        vehicle_types=_split(vtype),
        colours=_split(colour),
        plate_states=_split(state),
        plate=None if plate is None else parse_plate_pattern(plate, max_edits=0 if exact else 1),
        window=window,
        camera_ids=tuple(sorted({c.strip() for raw in cameras for c in raw.split(",") if c.strip()})),
        near=None if near is None else Place.parse(near),
    )


def filter_options(func: Callable[..., None]) -> Callable[..., None]:
    """The search filters as options; the command gets them parsed as one ``filters: SightingQuery``."""

    @functools.wraps(func)
    def command(**kwargs: Any) -> None:
        filters = _filters(**{k: kwargs.pop(k) for k in _FILTER_PARAMS})
        func(filters=filters, **kwargs)

    opts = [
        click.option(
            "--class", "det", multiple=True, metavar="NAME", help="Detector class (car, bus, truck, motorcycle)."
        ),
        click.option(
            "--type", "vtype", multiple=True, metavar="NAME", help="Vehicle type (sedan, suv, van, pickup, ...)."
        ),
        click.option("--colour", "--color", "colour", multiple=True, metavar="NAME", help="Body colour."),
        click.option(
            "--plate-state",
            "state",
            multiple=True,
            metavar="STATE",
            help="visible, covered, absent, unknown, or hidden (= covered or absent: no readable plate).",
        ),
        click.option("--plate", metavar="PATTERN", help="Plate pattern: * any run, ? one character (晋M*12*)."),
        click.option("--exact", is_flag=True, help="Plate: no one-character-off matches."),
        click.option("--from", "from_", metavar="ISO8601", help="Window start (no offset = UTC)."),
        click.option("--to", metavar="ISO8601", help="Window end."),
        click.option(
            "--camera", "cameras", multiple=True, metavar="ID", help="Camera ID(s), repeat or comma-separate."
        ),
        click.option("--near", metavar="LON,LAT,METRES", help="Cameras of the registry within METRES of a place."),
    ]
    wrapped: Callable[..., None] = command
    for o in reversed(opts):
        wrapped = o(wrapped)
    return wrapped


@click.command("search")
@_audit_refusals("search")  # outermost: refused filters (bad --from, ...) are audited as given
@filter_options
@click.option(
    "--scene", "scenes", multiple=True, metavar="LON,LAT,M,FROM,TO", help="A scene (repeat): multi-scene mode."
)
@click.option("--scenes", "scene_file", type=click.Path(dir_okay=False), help="Scenes from a JSON or CSV file.")
@click.option(
    "--min-scenes", "-k", type=SQL_INT, default=2, show_default=True, help="Multi-scene: seen near >= k scenes."
)
@click.option(
    "--min-similarity",
    type=float,
    default=DEFAULT_LINK_THRESHOLD,
    show_default=True,
    help="Link score: appearance cosine plus type/colour agreement (xueliang.investigate.link).",
)
@click.option("--sort", type=click.Choice(["time", "score"]), default="time", show_default=True)
@click.option(
    "--limit", type=SQL_INT, default=200, show_default=True, help="At most this many (with --plate: one page)."
)
@click.option(
    "--after", metavar="CURSOR", help="With --plate: the next page, from the cursor the previous page printed."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_case
@_actor
@db_option
def search(
    filters: SightingQuery,
    scenes: tuple[str, ...],
    scene_file: str | None,
    min_scenes: int,
    min_similarity: float,
    sort: str,
    limit: int,
    after: str | None,
    as_json: bool,
    case_id: str | None,
    actor: str | None,
    db_url: str | None,
) -> None:
    """Find sightings by attributes, plate pattern, time, cameras or place; or vehicles seen at several scenes."""
    from xueliang.investigate.scenes import load_scenes, multi_scene, parse_scene_arg
    from xueliang.investigate.search import search as run_search

    q = dataclasses.replace(filters, sort=sort, limit=limit)  # type: ignore[arg-type]  # click.Choice: time|score
    scene_list = [parse_scene_arg(s, index=i + 1) for i, s in enumerate(scenes)]
    if scene_file:
        scene_list += load_scenes(Path(scene_file))
    with opened_db(db_url) as db:
        if scene_list:
            if q.window is not None or q.camera_ids or q.near is not None:
                raise InputError("--scene", "scenes bring their own place and window: drop --from/--to/--camera/--near")
            res = multi_scene(
                db,
                scene_list,
                filters=q,
                min_scenes=min_scenes,
                min_similarity=min_similarity,
                limit=limit,
                actor=actor,
                case_id=case_id,
            )
            lines = (
                _(
                    "#%(rank)s %(key)s: %(n)s/%(of)s scenes %(scenes)s, strength %(strength)s, linked by %(by)s, "
                    "sightings %(ids)s",
                    rank=rank,
                    key=c.key,
                    n=len(c.scenes),
                    of=len(scene_list),
                    scenes=list(c.scenes),
                    strength=f"{c.strength:.3f}",
                    by=c.linked_by,
                    ids=[h.sighting_id for h in c.hits],
                )
                for rank, c in enumerate(res.candidates, 1)
            )
            _emit(res, as_json, lines, _("%(n)s candidate vehicles", n=len(res.candidates)))
            return
        if q.plate is not None:
            _plate_page(db, q, after, as_json, actor, case_id)
            return
        if after is not None:
            raise InputError(
                "--after", "expected it with --plate (the cursor of a plate search's next page), got no --plate"
            )
        r = run_search(db, q, actor=actor, case_id=case_id)
        more = _(" (more: raise --limit)") if r.truncated else ""
        hit_lines = (
            f"{h.sighting_id}\t{iso_time(h.first_seen)}\t{h.camera_id}\t{h.colour}\t{h.vehicle_type}\t"
            f"{h.plate_state}\t{h.plate_text or '-'}\t{h.score:.2f}"
            for h in r.hits
        )
        _emit(r, as_json, hit_lines, _("%(n)s sightings%(more)s", n=len(r.hits), more=more))


def _plate_page(
    db: Database, q: SightingQuery, after: str | None, as_json: bool, actor: str | None, case_id: str | None
) -> None:
    """A plate search, one page of ``--limit`` hits (by time, or by score band then time with ``--sort
    score``), the total (or an estimate, said so) and the cursor of the next page; audited as a search."""
    from xueliang.investigate.plate_search import Cursor, plate_search
    from xueliang.investigate.search import record

    assert q.plate is not None
    cursor = None if after is None else Cursor.parse(after)
    if q.sort == "score":
        page = plate_search(db, q.plate, window=q.window, limit=q.limit, after=cursor, ranked=True, filters=q)
    else:
        if cursor is not None and cursor.score != 1:
            raise InputError("--after", f"expected a cursor of a search by time (1~...), got {after!r} of --sort score")
        key = None if cursor is None else cursor.key
        page = plate_search(db, q.plate, window=q.window, limit=q.limit, after=key, filters=q)
    query = q.describe() | {"after": after, "total": page.total, "total_is_estimate": page.total_is_estimate}
    record(
        db, kind="search", query=query, sighting_ids=[h.sighting_id for h in page.hits], actor=actor, case_id=case_id
    )
    if as_json:
        _echo_json({"query": q.describe() | {"after": after}, "truncated": page.more} | page.to_json())
        return
    for h in page.hits:
        click.echo(
            f"{h.sighting_id}\t{iso_time(h.first_seen)}\t{h.camera_id}\t{h.colour}\t{h.vehicle_type}\t"
            f"{h.plate_state}\t{h.plate_text or '-'}\t{h.score:.2f}"
        )
    if page.total_is_estimate:
        click.echo(_("%(n)s sightings of about %(total)s (estimated)", n=len(page.hits), total=page.total))
    else:
        click.echo(_("%(n)s sightings of %(total)s", n=len(page.hits), total=page.total))
    if page.next is not None:
        click.echo(_("next page: --after %(cursor)s", cursor=page.next.text()))


@click.command("similar")
@_audit_refusals("similar")  # outermost: refused filters (bad --from, ...) are audited as given
@click.option("--sighting", "sighting_id", type=SQL_INT, help="Query by this sighting's appearance.")
@click.option(
    "--image", type=click.Path(dir_okay=False, exists=True), help="Query by an image (embedded like indexing)."
)
@click.option("-k", "k", type=SQL_INT, default=20, show_default=True, help="How many results.")
@click.option("--min-similarity", type=float, default=-1.0, help="Drop results below this cosine.")
@filter_options
@click.option("--json", "as_json", is_flag=True)
@_media
@_case
@_actor
@db_option
def similar(
    sighting_id: int | None,
    image: str | None,
    k: int,
    min_similarity: float,
    filters: SightingQuery,
    as_json: bool,
    media: str | None,
    case_id: str | None,
    actor: str | None,
    db_url: str | None,
) -> None:
    """Sightings nearest in appearance to a sighting or an image.

    From 200,000 vectors of the model on, the persisted ANN index under the media folder is used
    (built on first use, kept up to date; see `xueliang similar-index`).
    """
    from xueliang.investigate.similar import similar as run_similar

    with opened_db(db_url) as db:
        res = run_similar(
            db,
            sighting_id=sighting_id,
            image=None if image is None else Path(image),
            k=k,
            filters=filters,
            min_similarity=min_similarity,
            actor=actor,
            case_id=case_id,
            media_dir=_media_dir(media),
            progress=_progress,
        )
    lines = (
        f"{r.hit.sighting_id}\t{r.similarity:.3f}\t{iso_time(r.hit.first_seen)}\t{r.hit.camera_id}\t"
        f"{r.hit.colour}\t{r.hit.vehicle_type}\t{r.hit.plate_text or r.hit.plate_state}"
        for r in res.results
    )
    _emit(res, as_json, lines, _("%(n)s similar sightings (%(method)s search)", n=len(res.results), method=res.method))


@click.command("similar-index")
@click.option("--model", "models", multiple=True, metavar="NAME", help="Embedding model (default: every model).")
@click.option("--rebuild", is_flag=True, help="Build from scratch even when the index is valid.")
@_media
@db_option
def similar_index(models: tuple[str, ...], rebuild: bool, media: str | None, db_url: str | None) -> None:
    """Build, update or rebuild the persisted ANN index of `similar` (per embedding model, under MEDIA/ann).

    Without --rebuild: builds a missing index, adds sightings indexed since, and rebuilds (saying
    why) an index that is corrupt, of another database, or older than deleted sightings.
    """
    from xueliang.config import resolve_media_dir
    from xueliang.investigate.ann_index import embedding_models, ensure_index, sidecar_path

    media_dir = resolve_media_dir(media)
    with opened_db(db_url) as db:
        for model in models or tuple(embedding_models(db)):
            meta, done = ensure_index(db, model, media_dir, rebuild=rebuild, progress=_progress)
            click.echo(
                f"{model}: {done}; {meta.count:,} x {meta.dimensions}-d vectors up to sighting "
                f"{meta.max_sighting_id} in {sidecar_path(media_dir, model).parent / meta.index_file}"
            )
        if not models and not embedding_models(db):
            click.echo(_("no sightings with embeddings: nothing to index"))


@click.command("trajectory")
@click.option("--plate", help="One full plate text.")
@click.option("--sighting", "sighting_id", type=SQL_INT, help="A sighting; others joined by appearance similarity.")
@click.option("--min-similarity", type=float, default=0.85, show_default=True)
@click.option("--geojson", "geojson", type=click.Path(dir_okay=False), help="Also write the path as GeoJSON here.")
@click.option("--json", "as_json", is_flag=True)
@_case
@_actor
@db_option
@_audit_refusals("trajectory")
def trajectory(
    plate: str | None,
    sighting_id: int | None,
    min_similarity: float,
    geojson: str | None,
    as_json: bool,
    case_id: str | None,
    actor: str | None,
    db_url: str | None,
) -> None:
    """One vehicle's sightings ordered by time, with camera positions."""
    from xueliang.investigate.similar import trajectory as run_trajectory

    with opened_db(db_url) as db:
        t = run_trajectory(
            db, plate=plate, sighting_id=sighting_id, min_similarity=min_similarity, actor=actor, case_id=case_id
        )
    if geojson:
        Path(geojson).write_text(json.dumps(t.to_geojson(), ensure_ascii=False, indent=1), encoding="utf-8")
    lines = (
        f"{iso_time(p.hit.first_seen)}\t{p.hit.camera_id}\t{p.hit.lon:.6f},{p.hit.lat:.6f}\t{p.hit.sighting_id}\t"
        f"{p.hit.plate_text or '-'}\t{p.similarity:.3f}"
        for p in t.points
    )
    _emit(t, as_json, lines, _("%(n)s sightings%(more)s", n=len(t.points), more=""))


@click.command("review")
@click.option("--case", "case_id", required=True, metavar="ID", help="The investigation.")
@click.option("--sighting", "sighting_id", type=SQL_INT, help="The candidate sighting.")
@click.option("--keep", "decision", flag_value="keep", help="Keep it as evidence.")
@click.option("--eliminate", "decision", flag_value="eliminate", help="Rule it out.")
@click.option("--reason", help="Why (required with --keep/--eliminate).")
@click.option("--list", "show", is_flag=True, help="Print the case's review log.")
@click.option("--json", "as_json", is_flag=True)
@_actor
@db_option
def review(
    case_id: str,
    sighting_id: int | None,
    decision: str | None,
    reason: str | None,
    show: bool,
    as_json: bool,
    actor: str | None,
    db_url: str | None,
) -> None:
    """Keep or eliminate a candidate of a case, with a reason; --list prints the log."""
    from xueliang.investigate.review import review as add_review
    from xueliang.investigate.review import review_log

    with opened_db(db_url) as db:
        if decision is not None or sighting_id is not None:
            if sighting_id is None or decision is None:
                raise InputError("review", "expected --sighting N with --keep or --eliminate")
            e = add_review(
                db, case_id=case_id, sighting_id=sighting_id, decision=decision, reason=reason or "", actor=actor
            )
            if not as_json:
                click.echo(f"case {e.case_id}: sighting {e.sighting_id} {e.decision} ({e.reason})")
        elif not show:
            raise InputError("review", "expected --sighting N --keep|--eliminate --reason TEXT, or --list")
        if show or as_json:
            log = review_log(db, case_id)
            if as_json:
                _echo_json([x.to_json() for x in log])
            else:
                for x in log:
                    click.echo(f"{iso_time(x.at)}\t{x.actor}\t{x.sighting_id}\t{x.decision}\t{x.reason}")


@click.command("export")
@click.option("--case", "case_id", required=True, metavar="ID")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="A new (or empty) folder.")
@click.option("--pad", type=float, default=2.0, show_default=True, help="Seconds of video before/after each sighting.")
@click.option("--media", type=click.Path(file_okay=False), help="Media folder of indexing (thumbnail fallback).")
@_actor
@db_option
@_audit_refusals("export")
def export(case_id: str, out: str, pad: float, media: str | None, actor: str | None, db_url: str | None) -> None:
    """Write the kept sightings of a case as evidence (clips, images, GA/T 1400 records, logs, hashes)."""
    from xueliang.investigate.export import export_case

    with opened_db(db_url) as db:
        s = export_case(
            db, case_id, Path(out), actor=actor, pad_s=pad, media_dir=None if media is None else Path(media)
        )
    click.echo(
        f"exported case {s.case_id}: {len(s.sightings)} sightings from {len(s.sources)} verified sources, "
        f"{s.files} files in {s.out}"
    )
