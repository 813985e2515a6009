"""The review log of a case: an investigator keeps or eliminates candidates, with a reason.

Rows are appended, never changed: the latest row per (case, sighting) is the current decision;
the whole log (with earlier decisions) goes into the evidence export.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from vision.tables import SightingRow
from xueliang.errors import InputError, NotFoundError
from xueliang.investigate.search import ensure_case, utc
from xueliang.investigate.tables import ReviewRow
from xueliang.storage import Database
from xueliang.storage.database import current_user

Decision = Literal["keep", "eliminate"]


@dataclass(frozen=True)
class ReviewEntry:
    case_id: str
    sighting_id: int
    decision: str
    reason: str
    actor: str
    at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "sighting": self.sighting_id,
            "decision": self.decision,
            "reason": self.reason,
            "actor": self.actor,
            "at": self.at.isoformat(),
        }


def review(
    db: Database, *, case_id: str, sighting_id: int, decision: str, reason: str, actor: str | None = None
) -> ReviewEntry:
    """Append one decision. The case must exist (a search ran for it, or the ledger has it)."""
    if decision not in ("keep", "eliminate"):
        raise InputError("review", f"expected decision 'keep' or 'eliminate', got {decision!r}")
    reason = reason.strip()
    if not reason:
        raise InputError("--reason", f"expected a reason for the decision to {decision}, got an empty text")
    who = actor or current_user()
    ensure_case(db, case_id, actor=who, create=False)
    with db.transaction() as s:
        if s.get(SightingRow, sighting_id) is None:
            raise NotFoundError(f"--sighting: expected an indexed sighting id, got unknown {sighting_id}")
        row = ReviewRow(
            case_id=case_id.strip(),
            sighting_id=sighting_id,
            decision=decision,
            reason=reason,
            actor=who,
            at=dt.datetime.now(dt.UTC),
        )
        s.add(row)
    return _entry(row)


def _entry(r: ReviewRow) -> ReviewEntry:
    return ReviewEntry(r.case_id, r.sighting_id, r.decision, r.reason, r.actor, utc(r.at))


def review_log(db: Database, case_id: str) -> list[ReviewEntry]:
    """Every decision of the case in the order made."""
    ensure_case(db, case_id, actor=None, create=False)
    with db.sessions() as s:
        rows = s.scalars(select(ReviewRow).where(ReviewRow.case_id == case_id).order_by(ReviewRow.id))
        return [_entry(r) for r in rows]


def current_decisions(log: list[ReviewEntry]) -> dict[int, ReviewEntry]:
    """The latest decision per sighting."""
    out: dict[int, ReviewEntry] = {}
    for e in log:
        out[e.sighting_id] = e
    return out


def kept(log: list[ReviewEntry]) -> list[int]:
    return sorted(i for i, e in current_decisions(log).items() if e.decision == "keep")
