"""Keeping node status history at a size that does not grow with time at full resolution.

The refresh job writes one row per node per cycle (720 a day per node at 2 minutes). Timelines need that detail for
the last day or two; older periods are drawn as bands and uptime shares, for which one row per node per
``THIN_STEP`` is enough. So, for rows older than ``FULL_RESOLUTION``:
- every row whose status differs from the node's previous row is kept (a band edge; node_status_changes holds the
  same transitions for the feed),
- otherwise only the first row of each ``THIN_STEP`` bucket is kept.
``THIN_STEP`` (10 min) is below the timeline's gap of 15 min, so thinned periods still draw as continuous bands.
Rows older than the retention period (``MINEGNK_STATUS_HISTORY_DAYS``) are deleted. Status changes, earnings and
everything else are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from minegnk.db.models import Node, NodeStatusHistory

FULL_RESOLUTION = timedelta(hours=48)
THIN_STEP = timedelta(minutes=10)
DELETE_CHUNK = 1_000


@dataclass(frozen=True)
class RetentionReport:
    thinned: int  # rows removed between the retention limit and the full-resolution period
    expired: int  # rows removed for being older than the retention period


def _bucket(moment: datetime) -> int:
    return int(moment.timestamp()) // int(THIN_STEP.total_seconds())


def rows_to_thin(rows: Sequence[tuple[int, datetime, str]], previous_status: str | None) -> list[int]:
    """Ids of one node's rows (id, observed_at, status; oldest first) that thinning removes. ``previous_status`` is
    the status of the node's row just before ``rows``, if any. Pure: no database."""
    doomed = []
    last_status, last_bucket = previous_status, None
    for row_id, observed_at, status in rows:
        bucket = _bucket(observed_at)
        if status == last_status and bucket == last_bucket:
            doomed.append(row_id)
        else:
            last_bucket = bucket
        last_status = status
    return doomed


def _delete_ids(db: Session, ids: list[int]) -> None:
    for start in range(0, len(ids), DELETE_CHUNK):
        db.execute(delete(NodeStatusHistory).where(NodeStatusHistory.id.in_(ids[start:start + DELETE_CHUNK])))


def thin_node(db: Session, node_id: int, *, since: datetime | None, until: datetime) -> int:
    """Thin one node's rows observed in [since, until) (``since`` None: from the oldest). Returns rows removed."""
    h = NodeStatusHistory
    query = select(h.id, h.observed_at, h.status).where(h.node_id == node_id, h.observed_at < until)
    previous_status = None
    if since is not None:
        query = query.where(h.observed_at >= since)
        previous_status = db.scalar(select(h.status).where(h.node_id == node_id, h.observed_at < since)
                                    .order_by(h.observed_at.desc(), h.id.desc()).limit(1))
    rows = [tuple(row) for row in db.execute(query.order_by(h.observed_at, h.id))]
    doomed = rows_to_thin(rows, previous_status)
    _delete_ids(db, doomed)
    return len(doomed)


def apply_retention(db_factory: Callable[[], AbstractContextManager[Session]], *, now: datetime, keep_days: int,
                    lookback: timedelta | None) -> RetentionReport:
    """Expire rows older than ``keep_days`` and thin the rows that left the full-resolution period in the last
    ``lookback`` (None: all of them, e.g. the first run of a process). One short transaction per node so the
    refresh job's writes are never held up for long. ``db_factory`` is ``session_scope``."""
    until = now - FULL_RESOLUTION
    since = None if lookback is None else until - lookback
    with db_factory() as db:
        expired = db.execute(delete(NodeStatusHistory)
                             .where(NodeStatusHistory.observed_at < now - timedelta(days=keep_days))).rowcount or 0
        node_ids = list(db.scalars(select(Node.id).order_by(Node.id)))
    thinned = 0
    for node_id in node_ids:
        with db_factory() as db:
            thinned += thin_node(db, node_id, since=since, until=until)
    return RetentionReport(thinned=thinned, expired=expired)
