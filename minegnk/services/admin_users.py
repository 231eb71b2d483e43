"""Admin read models for users: the searchable list, one user's page, and "view as customer"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from minegnk.db.models import AuditLog, NodeAssignment, SupportRequest, User
from minegnk.services import nodes

PER_PAGE_MAX = 200
USER_SORTS = ('email', 'role', 'is_active', 'created_at', 'last_login_at', 'node_count')


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    node_count: int


@dataclass(frozen=True)
class CustomerNode:
    """One row of a customer's node list, exactly as the customer sees it."""
    address: str
    label: str | None
    gpu_type: str | None
    gpu_count: int | None
    region: str | None
    status: str  # from NodeStatsCache; 'unknown' when there is no data yet
    stale: bool
    fetched_at: datetime | None
    assigned_at: datetime


@dataclass(frozen=True)
class RequestRow:
    id: int
    type: str
    gpu_type: str | None
    quantity: int | None
    status: str
    created_at: datetime


@dataclass(frozen=True)
class ActivityRow:
    id: int
    created_at: datetime
    action: str
    actor_email: str | None
    target_type: str | None
    target_id: str | None
    before: dict | None
    after: dict | None


@dataclass(frozen=True)
class UserDetail:
    id: int
    email: str
    role: str
    is_active: bool
    telegram: str | None
    discord: str | None
    currency: str
    language: str | None
    timezone: str | None
    created_at: datetime
    last_login_at: datetime | None
    nodes: list[CustomerNode]
    requests: list[RequestRow]
    activity: list[ActivityRow]


def clamp_page(page: int, per_page: int) -> tuple[int, int]:
    per_page = max(1, min(int(per_page or 25), PER_PAGE_MAX))
    return max(1, int(page or 1)), per_page


def _escape_like(text: str) -> str:
    return text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


def like_pattern(text: str) -> str:
    return f'%{_escape_like(text.strip().lower())}%'


def list_users(db: Session, *, search: str = '', role: str | None = None, active: bool | None = None,
               sort: str = 'created_at', descending: bool = True, page: int = 1, per_page: int = 25) -> Page:
    """Users filtered by email substring, role and active flag; sorted by a whitelisted column; one page."""
    page, per_page = clamp_page(page, per_page)
    node_count = (select(NodeAssignment.user_id, func.count().label('n')).where(NodeAssignment.unassigned_at.is_(None))
                  .group_by(NodeAssignment.user_id).subquery())
    count_col = func.coalesce(node_count.c.n, 0)
    query = select(User, count_col).outerjoin(node_count, node_count.c.user_id == User.id)
    if search and search.strip():
        query = query.where(User.email.like(like_pattern(search), escape='\\'))
    if role in ('user', 'admin'):
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = count_col if sort == 'node_count' else getattr(User, sort if sort in USER_SORTS else 'created_at')
    order = column.desc() if descending else column.asc()
    if sort == 'last_login_at':
        order = order.nulls_last()
    rows = db.execute(query.order_by(order, User.id.desc() if descending else User.id.asc())
                      .offset((page - 1) * per_page).limit(per_page)).all()
    return Page([UserRow(u.id, u.email, u.role, u.is_active, u.created_at, u.last_login_at, n) for u, n in rows], total)


def customer_nodes(db: Session, user_id: int) -> list[CustomerNode]:
    """The customer's node list exactly as they see it: the dashboard read model (``services.nodes.user_nodes``),
    in its order (problems first), reduced to what the admin's read-only view shows."""
    return [CustomerNode(s.address, s.label, s.gpu_type, s.gpu_count, s.region, s.status or 'unknown', s.stale,
                         s.fetched_at, s.assigned_at) for s in nodes.user_nodes(db, user_id)]


def _activity(db: Session, user_id: int, limit: int) -> list[ActivityRow]:
    actor = User.__table__.alias('actor')
    rows = db.execute(
        select(AuditLog, actor.c.email).outerjoin(actor, actor.c.id == AuditLog.actor_id)
        .where(or_(AuditLog.actor_id == user_id, (AuditLog.target_type == 'user') & (AuditLog.target_id == str(user_id))))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit)).all()
    return [ActivityRow(a.id, a.created_at, a.action, email, a.target_type, a.target_id, a.before, a.after)
            for a, email in rows]


def user_detail(db: Session, user_id: int, *, activity_limit: int = 50) -> UserDetail | None:
    user = db.get(User, user_id)
    if user is None:
        return None
    requests = [RequestRow(r.id, r.type, r.gpu_type, r.quantity, r.status, r.created_at) for r in db.scalars(
        select(SupportRequest).where(SupportRequest.user_id == user_id).order_by(SupportRequest.created_at.desc()))]
    return UserDetail(user.id, user.email, user.role, user.is_active, user.telegram, user.discord, user.currency,
                      user.language, user.timezone, user.created_at, user.last_login_at,
                      customer_nodes(db, user_id), requests, _activity(db, user_id, activity_limit))


def user_choices(db: Session, search: str = '', limit: int = 50) -> list[tuple[int, str]]:
    """(id, email) of active users matching a search, for pickers."""
    query = select(User.id, User.email).where(User.is_active.is_(True))
    if search.strip():
        query = query.where(User.email.like(like_pattern(search), escape='\\'))
    return [(i, e) for i, e in db.execute(query.order_by(User.email).limit(limit)).all()]
