"""System overview for admins, plus a small in-process registry the background refresh reports into.

The refresh job calls ``record_scheduler_run(last, next)`` after each run and ``register_refresh_callback(fn)`` at
start; the admin page reads ``scheduler_info()`` and calls ``request_refresh()`` (at most once per 30 s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import minegnk
from minegnk.db.models import (NetworkSnapshot, Node, NodeAssignment, NodeStatsCache, SupportRequest, UpstreamHealth,
                               User, utcnow)

REFRESH_MIN_INTERVAL = timedelta(seconds=30)


@dataclass(frozen=True)
class SchedulerInfo:
    last_run: datetime | None
    next_run: datetime | None
    refresh_available: bool  # a refresh callback is registered


@dataclass(frozen=True)
class RefreshOutcome:
    status: str  # started | rate_limited | unavailable | failed
    retry_after: int = 0  # seconds, when rate limited
    pending: Any = None  # an awaitable returned by an async callback; the caller awaits it


_lock = threading.Lock()
_last_run: datetime | None = None
_next_run: datetime | None = None
_refresh_callback: Callable[[], Any] | None = None
_last_refresh_request: datetime | None = None


def record_scheduler_run(last: datetime | None, next: datetime | None) -> None:  # noqa: A002 - the agreed name
    global _last_run, _next_run  # noqa: PLW0603
    with _lock:
        _last_run, _next_run = last, next


def scheduler_info() -> SchedulerInfo:
    with _lock:
        return SchedulerInfo(last_run=_last_run, next_run=_next_run, refresh_available=_refresh_callback is not None)


def register_refresh_callback(callback: Callable[[], Any] | None) -> None:
    """The function "refresh now" calls: quick and thread-safe, or async (the caller then awaits it)."""
    global _refresh_callback  # noqa: PLW0603
    with _lock:
        _refresh_callback = callback


def request_refresh(*, now: datetime | None = None) -> RefreshOutcome:
    """Ask the refresh job to run now; process-wide at most once per ``REFRESH_MIN_INTERVAL``."""
    global _last_refresh_request  # noqa: PLW0603
    now = now or utcnow()
    with _lock:
        callback = _refresh_callback
        if callback is None:
            return RefreshOutcome('unavailable')
        if _last_refresh_request is not None and now - _last_refresh_request < REFRESH_MIN_INTERVAL:
            wait = REFRESH_MIN_INTERVAL - (now - _last_refresh_request)
            return RefreshOutcome('rate_limited', retry_after=max(1, int(wait.total_seconds() + 0.999)))
        _last_refresh_request = now
    try:
        result = callback()
    except Exception:  # noqa: BLE001 - the page reports it; the job logs its own failures
        return RefreshOutcome('failed')
    return RefreshOutcome('started', pending=result if hasattr(result, '__await__') else None)


def reset() -> None:
    """Forget everything (tests)."""
    global _last_run, _next_run, _refresh_callback, _last_refresh_request  # noqa: PLW0603
    with _lock:
        _last_run = _next_run = _refresh_callback = _last_refresh_request = None


@dataclass(frozen=True)
class UpstreamRow:
    source: str
    base_url: str | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    latency_ms: int | None
    consecutive_failures: int


@dataclass(frozen=True)
class SystemStats:
    users_total: int
    users_active: int
    admins: int
    nodes_total: int
    nodes_assigned: int
    nodes_by_status: dict[str, int]  # of assigned nodes; no cached data counts as 'unknown'
    requests_by_status: dict[str, int]
    upstreams: list[UpstreamRow]
    snapshot_taken_at: datetime | None
    snapshot_stale: bool
    snapshot_epoch: int | None
    data_age: timedelta | None
    scheduler: SchedulerInfo
    version: str
    database_kind: str
    database_size: int | None  # bytes


def database_size(db: Session) -> int | None:
    bind = db.get_bind()
    if bind.dialect.name == 'postgresql':
        return db.scalar(select(func.pg_database_size(func.current_database())))
    if bind.dialect.name == 'sqlite':
        path = bind.url.database
        if not path or path == ':memory:':
            return None
        return sum(p.stat().st_size for p in (Path(path), Path(path + '-wal')) if p.exists())
    return None


def system_stats(db: Session, *, now: datetime | None = None) -> SystemStats:
    now = now or utcnow()
    total, active, admins = db.execute(select(
        func.count(), func.count().filter(User.is_active.is_(True)), func.count().filter(User.role == 'admin'),
    ).select_from(User)).one()
    status = func.coalesce(NodeStatsCache.status, 'unknown')
    by_status = dict(db.execute(
        select(status, func.count()).select_from(NodeAssignment)
        .outerjoin(NodeStatsCache, NodeStatsCache.node_id == NodeAssignment.node_id)
        .where(NodeAssignment.unassigned_at.is_(None)).group_by(status)).all())
    requests = dict(db.execute(select(SupportRequest.status, func.count()).group_by(SupportRequest.status)).all())
    upstreams = [UpstreamRow(u.source, u.base_url, u.last_success_at, u.last_error_at, u.last_error, u.latency_ms,
                             u.consecutive_failures)
                 for u in db.scalars(select(UpstreamHealth).order_by(UpstreamHealth.source))]
    snapshot = db.scalar(select(NetworkSnapshot).order_by(NetworkSnapshot.taken_at.desc()).limit(1))
    return SystemStats(
        users_total=total, users_active=active, admins=admins,
        nodes_total=db.scalar(select(func.count()).select_from(Node)) or 0,
        nodes_assigned=sum(by_status.values()), nodes_by_status=by_status, requests_by_status=requests,
        upstreams=upstreams,
        snapshot_taken_at=snapshot.taken_at if snapshot else None,
        snapshot_stale=bool(snapshot and snapshot.stale), snapshot_epoch=snapshot.epoch_id if snapshot else None,
        data_age=max(timedelta(0), now - snapshot.taken_at) if snapshot else None,
        scheduler=scheduler_info(), version=minegnk.__version__,
        database_kind=db.get_bind().dialect.name, database_size=database_size(db))
