"""``build_report``: one HTML report with its figures, and the same rendered to PDF by headless Chromium."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from xueliang import __version__
from xueliang.errors import InputError, XueliangError
from xueliang.i18n import translator
from xueliang.i18n.errors import translate_label
from xueliang.report.data import (
    Coverage,
    PlanData,
    load_coverage,
    load_ledger_stats,
    load_plan,
)
from xueliang.storage.files import sha256_file

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class PdfError(XueliangError):
    """The PDF could not be rendered (no Chromium, or it failed)."""


@dataclass(frozen=True)
class ReportResult:
    html: Path
    pdf: Path | None
    coverage: Coverage | None
    plan: PlanData | None
    ledger: dict[str, Any] | None
    #: one-line warnings for the person who asked (e.g. charts in English for want of a CJK font)
    warnings: tuple[str, ...] = ()


def find_chromium() -> str | None:
    env = os.environ.get("XUELIANG_CHROMIUM")
    if env:
        return env
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_pdf(html: Path, pdf: Path, *, timeout_s: float = 120) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium (``--print-to-pdf``)."""
    exe = find_chromium()
    if exe is None:
        raise PdfError("no Chromium found for the PDF: apt-get install chromium (or set XUELIANG_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="xueliang-chromium-") as profile:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf.resolve()}",
            html.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"chromium did not finish the PDF within {timeout_s:g} s") from exc
    if proc.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise PdfError(f"chromium failed to print {html} (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    return pdf


def run_coverage_into(osm: str, cameras: str | None, db_url: str | None, out: Path) -> Path:
    """Run the coverage analysis (cameras from a file, else the registry in the database) into ``out``."""
    from geo.config import load_coverage_config
    from geo.coverage_job import run_coverage_job
    from xueliang.config import resolve_db_url
    from xueliang.storage import open_database

    db = open_database(resolve_db_url(db_url)) if cameras is None else None
    try:
        run_coverage_job(osm, load_coverage_config(None), out, cameras_file=cameras, db=db, draw_map=False)
    finally:
        if db is not None:
            db.dispose()
    return out


def _templates(lang: str | None = None) -> Any:
    """The report's templates in ``lang`` (``en`` or ``zh-CN``): messages from the gettext catalogue, numbers
    in the language's format."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    t = translator(lang)
    env = Environment(
        loader=PackageLoader("xueliang.report", "templates"),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(t.gettext, t.ngettext, newstyle=True)  # type: ignore[attr-defined]
    na = t.gettext("n/a")
    env.filters["pct"] = lambda v: na if v is None else t.percent(float(v))
    env.filters["pts"] = lambda v: na if v is None else f"{100 * float(v):+.1f}"
    env.filters["label"] = partial(translate_label, t=t)  # a catalogue word or a label composed from words
    env.filters["tr"] = t.gettext  # a plain catalogue lookup: data values and texts with a literal %
    env.globals["num"] = t.number
    env.globals["lang"] = t.lang
    return env


def build_report(
    out: str | Path,
    *,
    osm: str | None = None,
    cameras: str | None = None,
    coverage: str | None = None,
    plan: str | None = None,
    db_url: str | None = None,
    pdf: bool = True,
    now: dt.datetime | None = None,
    lang: str | None = None,
) -> ReportResult:
    """Write ``report.html`` (+ figures) and ``report.pdf`` into ``out``, in ``lang`` (``en`` by default or
    ``zh-CN``; times in the language's zone: Asia/Shanghai for zh-CN)."""
    from xueliang.report import charts

    if not any((osm, coverage, plan, db_url)):
        raise InputError("report", "expected at least one of --osm, --coverage, --plan, --db")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    inputs: dict[str, str] = {}
    for label, path in (("--osm", osm), ("--cameras", cameras)):
        if path:
            if not Path(path).is_file():
                raise InputError(path, "file not found", field=label)
            inputs[f"{label} {path}"] = sha256_file(Path(path))
    if coverage is None and osm is not None:
        coverage = str(run_coverage_into(osm, cameras, db_url, out_dir / "coverage"))
    cov = load_coverage(coverage) if coverage else None
    pl = load_plan(plan) if plan else None
    ledger = load_ledger_stats(db_url) if db_url else None
    for src in (ledger or {}).get("sources", []):
        inputs[f"ledger import {src['source']} ({src['imported'][:19]})"] = src["sha256"]
    basemap = charts.load_basemap(osm) if osm else None
    figures: dict[str, str] = {}
    chart_t, chart_warning = charts.chart_language(translator(lang))
    if cov is not None:
        figures.update({f"map_{k}": p.name for k, p in charts.class_maps(cov, basemap, out_dir, t=chart_t).items()})
    if pl is not None:
        figures.update({f"plan_{k}": p.name for k, p in charts.plan_charts(pl, out_dir, t=chart_t).items()})
    if ledger is not None:
        figures.update({f"ledger_{k}": p.name for k, p in charts.ledger_charts(ledger, out_dir, t=chart_t).items()})
    html = (
        _templates(lang)
        .get_template("report.html.j2")
        .render(
            now=translator(lang).datetime(now),
            version=__version__,
            inputs=inputs,
            coverage=cov,
            plan=pl,
            ledger=ledger,
            figures=figures,
            db_url=_safe_url(db_url),
        )
    )
    html_path = out_dir / "report.html"
    html_path.write_text(html, encoding="utf-8")
    pdf_path = render_pdf(html_path, out_dir / "report.pdf") if pdf else None
    if db_url:
        from xueliang.storage import open_database

        db = open_database(db_url)
        db.audit(
            actor=None,
            action="report.build",
            query={"osm": osm, "cameras": cameras, "coverage": coverage, "plan": plan, "out": str(out_dir)},
            result_count=None if ledger is None else int(ledger["cases"]),
        )
        db.dispose()
    warnings = (chart_warning,) if chart_warning else ()
    return ReportResult(html=html_path, pdf=pdf_path, coverage=cov, plan=pl, ledger=ledger, warnings=warnings)


def _safe_url(url: str | None) -> str | None:
    if url is None:
        return None
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL fails later, in open_database, with a clear message
        return url
