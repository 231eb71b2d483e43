"""The optional daily digest: every node's status, what settled in the last day and open requests, sent at the
user's chosen local hour (its channels are the ``daily_digest`` notification choice). A missing digest is itself
a signal, so it is written even when nothing happened."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minegnk.db.models import EarningsHistory, Node, NodeAssignment, NodeStatsCache, SupportRequest, User, utcnow
from minegnk.notify.render import zone
from minegnk.services import notifications
from minegnk.services.requests import OPEN_STATUSES


def write_due_digests(db: Session, now: datetime | None = None) -> int:
    """Write today's digest for every user whose digest hour has come (idempotent per user and local day)."""
    now = now or utcnow()
    written = 0
    for user in db.scalars(select(User).where(User.is_active.is_(True))):
        if not notifications.chosen_channels(user, 'daily_digest'):
            continue
        local = now.astimezone(zone(user.timezone))
        if local.hour != (user.digest_hour if user.digest_hour is not None else 8):
            continue
        written += bool(notifications.notify(db, user.id, 'daily_digest', digest_params(db, user, now),
                                             dedup_key=f'digest:{user.id}:{local.date().isoformat()}', link='/',
                                             now=now))
    return written


def digest_params(db: Session, user: User, now: datetime) -> dict:
    nodes = db.execute(select(Node.address, Node.label, NodeStatsCache.status)
                       .join(NodeAssignment, NodeAssignment.node_id == Node.id)
                       .outerjoin(NodeStatsCache, NodeStatsCache.node_id == Node.id)
                       .where(NodeAssignment.user_id == user.id, NodeAssignment.unassigned_at.is_(None))
                       .order_by(Node.label, Node.address)).all()
    node_ids = select(NodeAssignment.node_id).where(NodeAssignment.user_id == user.id,
                                                    NodeAssignment.unassigned_at.is_(None))
    settled = db.scalar(select(func.coalesce(func.sum(EarningsHistory.reward_ngonka + EarningsHistory.work_ngonka), 0))
                        .where(EarningsHistory.node_id.in_(node_ids),
                               EarningsHistory.settled_at >= now - timedelta(days=1))) or 0
    open_requests = db.scalar(select(func.count()).select_from(SupportRequest).where(
        SupportRequest.user_id == user.id, SupportRequest.status.in_(OPEN_STATUSES))) or 0
    local = now.astimezone(zone(user.timezone))
    return {'date': local.date().isoformat(), 'ngonka': int(settled), 'open_requests': open_requests,
            'nodes': [{'node': label or address, 'status': status or 'unknown'} for address, label, status in nodes]}
