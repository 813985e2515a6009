"""Investigators: watch-list alerts (布控告警) — the page, the list as JSON, acknowledging one.

``GET /investigator/alerts`` lists alerts newest first (filter by watch rule, or only those not yet
acknowledged; pages of :data:`PAGE`), each linked to its sighting (a video sighting's page) or pass,
and its camera on the map. ``GET /api/alerts`` gives the same list as JSON; ``POST
/api/alerts/{id}/ack`` acknowledges one (once; audited as ``watch-ack`` under the investigator).
Reading the list is audited too (``web.view.alerts``): alerts show sightings.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from xueliang.investigate.search import camera_positions
from xueliang.investigate.watch import Alert, acknowledge, alerts, rules
from xueliang.storage import Database
from xueliang.web.auth import require
from xueliang.web.routes_common import ERRORS, page
from xueliang.web.users import User

Investigator = Annotated[User, Depends(require("investigator"))]
PAGE = 100
SQL_INT = 2**31 - 1
AlertId = Annotated[int, Path(ge=1, le=SQL_INT)]


class AlertFilter(BaseModel):
    """Which alerts: one watch rule's, only those not acknowledged, which page (newest first)."""

    model_config = ConfigDict(extra="forbid")

    rule: int | None = Field(None, ge=1, le=SQL_INT)
    unacked: bool = False
    page: int = Field(1, ge=1, le=100_000)


class AlertForm(AlertFilter):
    """The page's filter form: its "all rules" choice sends an empty ``rule`` (the JSON API rejects one)."""

    @field_validator("rule", mode="before")
    @classmethod
    def _all_rules(cls, value: object) -> object:
        return None if value == "" else value


class AckIn(BaseModel):
    """An acknowledgement: an optional note (what was done)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500)


def alert_json(a: Alert, positions: dict[str, tuple[float, float]]) -> dict[str, Any]:
    lon, lat = positions.get(a.camera_id, (None, None))
    link = f"/investigator/sightings/{a.sighting_id}" if a.source == "video" else None
    return a.to_json() | {"lon": lon, "lat": lat, "link": link}


def list_alerts(db: Database, user: User, f: AlertFilter) -> list[dict[str, Any]]:
    """One page of alerts as JSON rows (with the camera position), audited as a view."""
    found = alerts(db, rule_id=f.rule, unacknowledged=f.unacked, limit=PAGE + 1, offset=(f.page - 1) * PAGE)
    positions = camera_positions(db)
    db.audit(
        actor=user.name,
        action="web.view.alerts",
        query={"rule": f.rule, "unacked": f.unacked, "page": f.page},
        result_count=min(len(found), PAGE),
    )
    return [alert_json(a, positions) for a in found]


def router() -> APIRouter:
    r = APIRouter(responses=ERRORS)

    @r.get("/investigator/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page(request: Request, user: Investigator, f: Annotated[AlertForm, Query()]) -> HTMLResponse:
        db: Database = request.app.state.db
        rows = list_alerts(db, user, f)
        return page(
            request,
            "alerts.html",
            user,
            f=f,
            rules=rules(db),
            alerts=rows[:PAGE],
            more=len(rows) > PAGE,
        )

    @r.get("/api/alerts", tags=["investigator"])
    def alerts_api(request: Request, user: Investigator, f: Annotated[AlertFilter, Query()]) -> dict[str, Any]:
        """Watch-list alerts, newest first, with their camera's position (audited)."""
        rows = list_alerts(request.app.state.db, user, f)
        return {"alerts": rows[:PAGE], "more": len(rows) > PAGE}

    @r.post("/api/alerts/{alert_id}/ack", tags=["investigator"])
    def ack_api(request: Request, user: Investigator, alert_id: AlertId, body: AckIn) -> dict[str, Any]:
        """Acknowledge an alert (once; a second time is refused naming the first), audited."""
        db: Database = request.app.state.db
        a = acknowledge(db, alert_id, actor=user.name, note=body.note)
        return alert_json(a, camera_positions(db))

    return r
