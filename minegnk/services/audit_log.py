"""Read side of the audit log for admins: filter by action, actor and date, one page at a time. Never written here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minegnk.db.models import AuditLog, User
from minegnk.services.admin_users import ActivityRow, Page, clamp_page, like_pattern


def actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def list_audit(db: Session, *, action: str | None = None, actor: str = '', since: datetime | None = None,
               until: datetime | None = None, target: str = '', page: int = 1, per_page: int = 50) -> Page:
    """Newest first. ``actor`` matches the actor's email (substring); ``since``/``until`` are aware datetimes
    (``until`` exclusive); ``target`` matches the target id (substring)."""
    page, per_page = clamp_page(page, per_page)
    query = select(AuditLog, User.email).outerjoin(User, User.id == AuditLog.actor_id)
    if action:
        query = query.where(AuditLog.action == action)
    if actor and actor.strip():
        query = query.where(User.email.like(like_pattern(actor), escape='\\'))
    if target and target.strip():
        query = query.where(func.lower(AuditLog.target_id).like(like_pattern(target), escape='\\'))
    if since is not None:
        query = query.where(AuditLog.created_at >= since)
    if until is not None:
        query = query.where(AuditLog.created_at < until)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
                      .offset((page - 1) * per_page).limit(per_page)).all()
    return Page([ActivityRow(a.id, a.created_at, a.action, email, a.target_type, a.target_id, a.before, a.after)
                 for a, email in rows], total)
