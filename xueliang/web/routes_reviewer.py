"""Reviewers: a dashboard of coverage compliance and the case ledger's figures."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from xueliang.web.auth import require
from xueliang.web.routes_common import ERRORS, page
from xueliang.web.users import User

Reviewer = Annotated[User, Depends(require("reviewer"))]


LEDGER_REUSE_S = 600.0  # the ledger's figures are reused this long while the ledger is unchanged


def _ledger(request: Request) -> dict[str, Any] | None:
    """The ledger's figures, fitted again only when the ledger or the camera registry changed, or after
    :data:`LEDGER_REUSE_S` (retention is counted against the clock); the page shows when they were made."""
    from xueliang.report.data import ledger_fingerprint, load_ledger_stats

    state = request.app.state
    key = ledger_fingerprint(state.db)
    cached: tuple[Any, float, dict[str, Any] | None] | None = getattr(state, "ledger_figures", None)
    if cached is not None and cached[0] == key and time.monotonic() - cached[1] < LEDGER_REUSE_S:
        return cached[2]
    ledger = load_ledger_stats(state.settings.db_url)
    state.ledger_figures = (key, time.monotonic(), ledger)
    return ledger


def _figures(request: Request, *, with_ledger: bool = True) -> dict[str, Any]:
    from xueliang.report.data import load_coverage

    st = request.app.state.settings
    cov = load_coverage(st.coverage_dir) if st.coverage_dir else None
    # the ledger's figures fit its models (seconds on a large ledger): only where they are shown
    ledger = _ledger(request) if with_ledger else None
    charts = None
    if ledger is not None and ledger.get("analysis"):
        from xueliang.web.reviewer_charts import forest_plot, km_chart

        charts = {"km": km_chart(ledger["analysis"]), "forest": forest_plot(ledger["analysis"])}
    return {"coverage": cov, "ledger": ledger, "charts": charts}


def router() -> APIRouter:
    r = APIRouter(responses=ERRORS)

    @r.get("/reviewer", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, user: Reviewer) -> HTMLResponse:
        return page(request, "reviewer.html", user, **_figures(request))

    @r.get("/api/reviewer/compliance", tags=["reviewer"])
    def compliance(request: Request, user: Reviewer) -> dict[str, Any]:
        """Pass/fail per target class and the village channel count, with the inputs' hashes."""
        f = _figures(request, with_ledger=False)
        cov = f["coverage"]
        if cov is None:
            return {"coverage": None}
        return {
            "all_passed": cov.all_passed,
            "rows": [asdict(x) for x in cov.rows],
            "villages": {
                "meeting": cov.villages_meeting,
                "total": cov.villages_total,
                "min_channels": cov.min_channels,
            },
            "inputs_sha256": cov.summary.inputs_sha256,
            "files_sha256": cov.files_sha256,
        }

    @r.get("/api/reviewer/ledger", tags=["reviewer"])
    def ledger(request: Request, user: Reviewer) -> dict[str, Any]:
        """The ledger's figures (as ``xueliang ledger stats --json --by year``), or null without cases."""
        return {"ledger": _figures(request)["ledger"]}

    return r
