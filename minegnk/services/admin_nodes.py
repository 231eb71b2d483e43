"""Admin read model of every node across users: filters, search, sort, one page at a time, and CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from minegnk.db.models import Node, NodeAssignment, NodeStatsCache, User
from minegnk.services.admin_users import Page, clamp_page, like_pattern
from minegnk.services.status import PortalStatus

NODE_SORTS = ('address', 'label', 'owner', 'status', 'assigned_at', 'fetched_at', 'gpu_type', 'created_at')
STATUSES = tuple(s.value for s in PortalStatus)  # unknown, inactive, jailed, offline, unhealthy, healthy
EXPORT_MAX = 100_000


@dataclass(frozen=True)
class NodeRow:
    node_id: int
    address: str
    label: str | None
    gpu_type: str | None
    gpu_count: int | None
    region: str | None
    gcore_instance_id: str | None
    owner_id: int | None
    owner_email: str | None
    assigned_at: datetime | None
    status: str
    stale: bool
    fetched_at: datetime | None
    epoch_id: int | None
    weight: int | None
    inference_count: int | None
    missed_requests: int | None
    epoch_work_ngonka: int | None
    created_at: datetime


def _query(search: str, status: str | None, assigned: bool | None):  # noqa: ANN202
    status_col = func.coalesce(NodeStatsCache.status, 'unknown')
    query = (select(Node, NodeAssignment.user_id, User.email, NodeAssignment.assigned_at, status_col, NodeStatsCache)
             .outerjoin(NodeAssignment, and_(NodeAssignment.node_id == Node.id, NodeAssignment.unassigned_at.is_(None)))
             .outerjoin(User, User.id == NodeAssignment.user_id)
             .outerjoin(NodeStatsCache, NodeStatsCache.node_id == Node.id))
    if search and search.strip():
        pattern = like_pattern(search)
        query = query.where(or_(func.lower(Node.address).like(pattern, escape='\\'),
                                func.lower(Node.label).like(pattern, escape='\\'),
                                User.email.like(pattern, escape='\\')))
    if status:
        query = query.where(status_col == status)
    if assigned is True:
        query = query.where(NodeAssignment.id.is_not(None))
    elif assigned is False:
        query = query.where(NodeAssignment.id.is_(None))
    return query, status_col


def _sort_column(sort: str, status_col: Any) -> Any:
    return {'address': Node.address, 'label': Node.label, 'owner': User.email, 'status': status_col,
            'assigned_at': NodeAssignment.assigned_at, 'fetched_at': NodeStatsCache.fetched_at,
            'gpu_type': Node.gpu_type}.get(sort, Node.created_at)


def _row(node: Node, owner_id: int | None, email: str | None, assigned_at: datetime | None, status: str,
         cache: NodeStatsCache | None) -> NodeRow:
    return NodeRow(node.id, node.address, node.label, node.gpu_type, node.gpu_count, node.region,
                   node.gcore_instance_id, owner_id, email, assigned_at, status, bool(cache and cache.stale),
                   cache.fetched_at if cache else None, cache.epoch_id if cache else None,
                   cache.weight if cache else None, cache.inference_count if cache else None,
                   cache.missed_requests if cache else None, cache.epoch_work_ngonka if cache else None,
                   node.created_at)


def list_nodes(db: Session, *, search: str = '', status: str | None = None, assigned: bool | None = None,
               sort: str = 'address', descending: bool = False, page: int = 1, per_page: int = 25) -> Page:
    page, per_page = clamp_page(page, per_page)
    query, status_col = _query(search, status, assigned)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = _sort_column(sort, status_col)
    order = (column.desc() if descending else column.asc()).nulls_last()
    rows = db.execute(query.order_by(order, Node.id).offset((page - 1) * per_page).limit(per_page)).all()
    return Page([_row(*r) for r in rows], total)


CSV_COLUMNS = ('address', 'label', 'owner_email', 'owner_id', 'assigned_at', 'status', 'stale', 'fetched_at',
               'epoch_id', 'weight', 'inference_count', 'missed_requests', 'epoch_work_ngonka', 'gpu_type',
               'gpu_count', 'region', 'gcore_instance_id', 'created_at')


def _cell(value: Any) -> Any:
    if value is None:
        return ''
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str) and value[:1] in ('=', '+', '-', '@', '\t', '\r'):
        return "'" + value  # a spreadsheet must not run a pasted label as a formula
    return value


def export_csv(db: Session, *, search: str = '', status: str | None = None, assigned: bool | None = None,
               sort: str = 'address', descending: bool = False) -> str:
    """The filtered list as CSV: integers as stored (ngonka), times in ISO 8601 UTC, nothing rounded."""
    query, status_col = _query(search, status, assigned)
    column = _sort_column(sort, status_col)
    rows = db.execute(query.order_by((column.desc() if descending else column.asc()).nulls_last(), Node.id)
                      .limit(EXPORT_MAX)).all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\r\n')
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        row = _row(*r)
        writer.writerow([_cell(getattr(row, name)) for name in CSV_COLUMNS])
    return out.getvalue()
