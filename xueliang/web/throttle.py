"""Login throttling kept in the database (``web_login_attempts``): per account and per client address,
with delays that grow with the recent failures (per account: since its last success), never a hard lock.

After ``free`` failures in ``window`` the next attempt must wait ``2 ** (failures - free)`` seconds after
the latest failure, up to a cap: 60 s per account (anyone may type a known name, so a stranger can slow a
user down by a minute at most, never lock them out) and 15 minutes per client address (a guesser is slowed
whatever names it tries). The client address is the peer's, or the ``X-Forwarded-For`` entry added by a
configured proxy, never a header a client can set itself.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from xueliang.storage import Database
from xueliang.web.tables import LoginAttemptRow


@dataclass(frozen=True)
class Policy:
    free: int
    cap_s: float
    resets: bool  # a success clears the failures before it
    window: dt.timedelta = dt.timedelta(hours=1)

    def delay_s(self, failures: int) -> float:
        return 0.0 if failures < self.free else float(min(2 ** (failures - self.free), self.cap_s))


ACCOUNT = Policy(free=5, cap_s=60, resets=True)
CLIENT = Policy(free=10, cap_s=900, resets=False)  # a guesser's own login must not clear it


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[str, ...]) -> str:
    """The client's address: the peer, or when the peer is a trusted proxy, the right-most address of
    ``X-Forwarded-For`` that is not itself a trusted proxy (entries to its left are the client's own say)."""
    addr = peer or "unknown"
    if addr not in trusted_proxies or not forwarded_for:
        return addr
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return addr  # garbled header: keep the proxy's own address
        if hop not in trusted_proxies:
            return hop
    return addr


def _wait(db: Database, where: ColumnElement[bool], policy: Policy, now: dt.datetime) -> float:
    with db.sessions() as s:
        since = now - policy.window
        if policy.resets:
            last_ok = s.scalar(select(func.max(LoginAttemptRow.at)).where(where, LoginAttemptRow.ok.is_(True)))
            since = max(last_ok, since) if last_ok else since
        failures, latest = s.execute(
            select(func.count(), func.max(LoginAttemptRow.at)).where(
                where, LoginAttemptRow.ok.is_(False), LoginAttemptRow.at > since
            )
        ).one()
    if not failures:
        return 0.0
    due = latest + dt.timedelta(seconds=policy.delay_s(int(failures)))
    return max(0.0, (due - now).total_seconds())


def wait_s(db: Database, name: str, client: str, *, now: dt.datetime | None = None) -> float:
    """Seconds until ``client`` may try logging in as ``name`` again (0: now)."""
    now = now or dt.datetime.now(dt.UTC)
    return max(
        _wait(db, LoginAttemptRow.user_name == name[:64], ACCOUNT, now),
        _wait(db, LoginAttemptRow.client == client[:64], CLIENT, now),
    )


def record(db: Database, name: str, client: str, *, ok: bool, now: dt.datetime | None = None) -> None:
    with db.transaction() as s:
        s.add(LoginAttemptRow(at=now or dt.datetime.now(dt.UTC), user_name=name[:64], client=client[:64], ok=ok))
