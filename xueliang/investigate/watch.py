"""Watch lists (布控): rules on plate pattern and attributes; an alert for each new matching sighting.

A rule holds a plate pattern (the search's syntax: ``晋M*12*``, ``?`` one character; one character
off allowed unless ``exact``) and/or colours, vehicle types and plate states (each a set; a rule
needs at least one condition). :func:`check_new` tests the sightings after a given id (what an
import or an index run just added) against every active rule, stores one alert per (rule,
sighting) — checking twice adds nothing — and writes each alert to the audit log
(action ``watch-alert``). Tables ``watch_rules`` and ``watch_alerts`` (alembic branch
``investigate``, revision ``investigate_0001``); the audit log keeps every alert for good. An
investigator acknowledges an alert once (:func:`acknowledge`: who, when, a note; table
``watch_alert_acks``, revision ``investigate_0003``; audit action ``watch-ack``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from vision.tables import SightingRow
from xueliang.errors import InputError, NotFoundError
from xueliang.investigate.plates_match import parse_plate_pattern
from xueliang.investigate.search import SightingQuery, attribute_clauses
from xueliang.storage import Base, Database
from xueliang.storage.database import check_actor, current_user
from xueliang.storage.times import as_utc

PLATE_STATES = ("visible", "covered", "absent", "unknown")


class WatchRuleRow(Base):
    __tablename__ = "watch_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))
    plate: Mapped[str | None] = mapped_column(String(32))
    exact: Mapped[bool] = mapped_column(Boolean, default=False)
    colours: Mapped[str | None] = mapped_column(Text)  # comma-separated, sorted
    vehicle_types: Mapped[str | None] = mapped_column(Text)
    plate_states: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WatchAlertRow(Base):
    __tablename__ = "watch_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("watch_rules.id"), index=True)
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("rule_id", "sighting_id", name="uq_watch_alerts_rule_sighting"),)


class WatchAlertAckRow(Base):
    """An alert acknowledged: one row per alert, never changed."""

    __tablename__ = "watch_alert_acks"

    alert_id: Mapped[int] = mapped_column(ForeignKey("watch_alerts.id"), primary_key=True)
    acknowledged_by: Mapped[str] = mapped_column(String(100))
    acknowledged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class WatchRule:
    id: int
    plate: str | None
    exact: bool
    colours: tuple[str, ...]
    vehicle_types: tuple[str, ...]
    plate_states: tuple[str, ...]
    note: str | None
    case_id: str | None
    active: bool
    created_by: str
    created_at: dt.datetime

    def describe(self) -> str:
        parts = []
        if self.plate:
            parts.append(f"plate {self.plate}{' (exact)' if self.exact else ''}")
        for label, values in (("colour", self.colours), ("type", self.vehicle_types), ("plate", self.plate_states)):
            if values:
                parts.append(f"{label} {'/'.join(values)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Alert:
    id: int
    rule: WatchRule
    sighting_id: int
    camera_id: str
    seen_at: dt.datetime
    plate_text: str | None
    colour: str
    vehicle_type: str
    source: str
    raised_at: dt.datetime
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None
    ack_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": {"id": self.rule.id, "describe": self.rule.describe(), "case": self.rule.case_id},
            "sighting_id": self.sighting_id,
            "camera_id": self.camera_id,
            "seen_at": self.seen_at.isoformat(),
            "plate_text": self.plate_text,
            "colour": self.colour,
            "vehicle_type": self.vehicle_type,
            "source": self.source,
            "raised_at": self.raised_at.isoformat(),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": None if self.acknowledged_at is None else self.acknowledged_at.isoformat(),
            "ack_note": self.ack_note,
        }


def _split(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({v.strip().lower() for raw in values for v in raw.split(",") if v.strip()}))


def _rule(r: WatchRuleRow) -> WatchRule:
    def parts(text: str | None) -> tuple[str, ...]:
        return tuple(text.split(",")) if text else ()

    return WatchRule(
        r.id,
        r.plate,
        r.exact,
        parts(r.colours),
        parts(r.vehicle_types),
        parts(r.plate_states),
        r.note,
        r.case_id,
        r.active,
        r.created_by,
        as_utc(r.created_at),
    )


def add_rule(
    db: Database,
    *,
    plate: str | None = None,
    exact: bool = False,
    colours: Sequence[str] = (),
    vehicle_types: Sequence[str] = (),
    plate_states: Sequence[str] = (),
    note: str | None = None,
    case_id: str | None = None,
    actor: str | None = None,
) -> WatchRule:
    """Store an active rule (and an audit row ``watch-add``)."""
    who = check_actor(actor or current_user())
    pattern = None if plate is None else parse_plate_pattern(plate, max_edits=0 if exact else 1)
    states = _split(plate_states)
    bad = sorted(set(states) - set(PLATE_STATES))
    if bad:
        raise InputError("--plate-state", f"expected {', '.join(PLATE_STATES)}, got {', '.join(bad)}")
    cols, types = _split(colours), _split(vehicle_types)
    if pattern is None and not (cols or types or states):
        raise InputError("watch rule", "expected a plate pattern or at least one of --colour, --type, --plate-state")
    row = WatchRuleRow(
        created_at=dt.datetime.now(dt.UTC),
        created_by=who,
        plate=None if pattern is None else pattern.text,
        exact=exact,
        colours=",".join(cols) or None,
        vehicle_types=",".join(types) or None,
        plate_states=",".join(states) or None,
        note=note,
        case_id=case_id,
        active=True,
    )
    with db.transaction() as s:
        s.add(row)
        s.flush()
        db.audit(actor=who, action="watch-add", query={"rule": row.id, "case": case_id}, result_count=None, session=s)
    return _rule(row)


def rules(db: Database, *, active_only: bool = False) -> list[WatchRule]:
    with db.sessions() as s:
        stmt = select(WatchRuleRow).order_by(WatchRuleRow.id)
        if active_only:
            stmt = stmt.where(WatchRuleRow.active.is_(True))
        return [_rule(r) for r in s.scalars(stmt)]


def remove_rule(db: Database, rule_id: int, *, actor: str | None = None) -> WatchRule:
    """Deactivate a rule (kept, with its alerts, for the record)."""
    who = check_actor(actor or current_user())
    with db.transaction() as s:
        row = s.get(WatchRuleRow, rule_id)
        if row is None:
            raise NotFoundError(f"watch rule: expected an id of `xueliang watch list`, got unknown {rule_id}")
        row.active = False
        db.audit(actor=who, action="watch-remove", query={"rule": rule_id}, result_count=None, session=s)
        return _rule(row)


def _query(rule: WatchRule) -> SightingQuery:
    return SightingQuery(
        vehicle_types=rule.vehicle_types,
        colours=rule.colours,
        plate_states=rule.plate_states,
        plate=None if rule.plate is None else parse_plate_pattern(rule.plate, max_edits=0 if rule.exact else 1),
    )


def check_new(db: Database, *, after_id: int, actor: str | None = None) -> list[Alert]:
    """Alerts for sightings with id > ``after_id`` matching active rules (new ones only)."""
    who = check_actor(actor or current_user())
    active = rules(db, active_only=True)
    if not active:
        return []
    new_rows: list[WatchAlertRow] = []
    with db.transaction() as s:
        for rule in active:
            q = _query(rule)
            rows = s.execute(
                select(SightingRow.id, SightingRow.plate_text).where(SightingRow.id > after_id, *attribute_clauses(q))
            ).all()
            matched = [r.id for r in rows if q.plate is None or q.plate.score(r.plate_text) > 0]
            if not matched:
                continue
            known = set(
                s.scalars(
                    select(WatchAlertRow.sighting_id).where(
                        WatchAlertRow.rule_id == rule.id, WatchAlertRow.sighting_id.in_(matched)
                    )
                )
            )
            for sid in matched:
                if sid in known:
                    continue
                row = WatchAlertRow(rule_id=rule.id, sighting_id=sid, at=dt.datetime.now(dt.UTC))
                s.add(row)
                new_rows.append(row)
                db.audit(
                    actor=who,
                    action="watch-alert",
                    query={"rule": rule.id, "sighting": sid, "case": rule.case_id},
                    result_count=1,
                    session=s,
                )
        s.flush()
        ids = [r.id for r in new_rows]
    return alerts(db, alert_ids=ids, limit=max(len(ids), 1)) if ids else []


def alerts(
    db: Database,
    *,
    rule_id: int | None = None,
    limit: int = 1000,
    offset: int = 0,
    unacknowledged: bool = False,
    alert_ids: Sequence[int] | None = None,
) -> list[Alert]:
    """Stored alerts, newest first (optionally of one rule, not yet acknowledged, or these ids)."""
    by_id = {r.id: r for r in rules(db)}
    with db.sessions() as s:
        stmt = (
            select(WatchAlertRow, SightingRow, WatchAlertAckRow)
            .join(SightingRow, SightingRow.id == WatchAlertRow.sighting_id)
            .outerjoin(WatchAlertAckRow, WatchAlertAckRow.alert_id == WatchAlertRow.id)
            .order_by(WatchAlertRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if rule_id is not None:
            stmt = stmt.where(WatchAlertRow.rule_id == rule_id)
        if unacknowledged:
            stmt = stmt.where(WatchAlertAckRow.alert_id.is_(None))
        if alert_ids is not None:
            stmt = stmt.where(WatchAlertRow.id.in_(list(alert_ids)))
        return [
            Alert(
                a.id,
                by_id[a.rule_id],
                sg.id,
                sg.camera_id,
                as_utc(sg.first_seen),
                sg.plate_text,
                sg.colour,
                sg.vehicle_type,
                sg.source,
                as_utc(a.at),
                None if ack is None else ack.acknowledged_by,
                None if ack is None else as_utc(ack.acknowledged_at),
                None if ack is None else ack.note,
            )
            for a, sg, ack in s.execute(stmt).all()
        ]


def acknowledge(db: Database, alert_id: int, *, actor: str | None = None, note: str | None = None) -> Alert:
    """Mark an alert seen (once: a second acknowledgement is refused, naming the first) and audit it."""
    who = check_actor(actor or current_user())
    note = (note or "").strip()[:500] or None
    with db.transaction() as s:
        row = s.get(WatchAlertRow, alert_id)
        if row is None:
            raise NotFoundError(f"watch alert: expected an id of `xueliang watch alerts`, got unknown {alert_id}")
        done = s.get(WatchAlertAckRow, alert_id)
        if done is not None:
            raise InputError(
                "watch alert",
                f"alert {alert_id} was already acknowledged by {done.acknowledged_by} "
                f"at {as_utc(done.acknowledged_at).isoformat()}",
            )
        s.add(
            WatchAlertAckRow(alert_id=alert_id, acknowledged_by=who, acknowledged_at=dt.datetime.now(dt.UTC), note=note)
        )
        db.audit(
            actor=who,
            action="watch-ack",
            query={"alert": alert_id, "rule": row.rule_id, "sighting": row.sighting_id, "note": note},
            result_count=1,
            session=s,
        )
    (alert,) = alerts(db, alert_ids=[alert_id])
    return alert


def describe_alert(a: Alert) -> str:
    what = a.plate_text or f"{a.colour} {a.vehicle_type}"
    return (
        f"ALERT rule {a.rule.id} ({a.rule.describe()}): {what} at {a.camera_id} {a.seen_at.isoformat()} "
        f"[{a.source} sighting {a.sighting_id}]"
    )
