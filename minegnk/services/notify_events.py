"""Notifications for support requests and node ownership, written in the transaction of the change itself."""

from __future__ import annotations

from sqlalchemy.orm import Session

from minegnk.db.models import SupportRequest, SupportRequestEvent
from minegnk.services import notifications


def request_status_changed(db: Session, request: SupportRequest, to_status: str, reason: str | None) -> None:
    # Statuses only move forward, so request + target status names the change once.
    notifications.notify(db, request.user_id, 'request_status',
                         {'id': request.id, 'status': to_status, 'gpu_type': request.gpu_type,
                          'quantity': request.quantity, 'reason': reason},
                         dedup_key=f'request_status:{request.id}:{to_status}', link='/requests')


def request_commented(db: Session, request: SupportRequest, comment: SupportRequestEvent) -> None:
    if not comment.visible_to_customer:
        return  # internal notes stay with support
    db.flush()
    notifications.notify(db, request.user_id, 'request_comment', {'id': request.id, 'body': comment.body},
                         dedup_key=f'request_comment:{comment.id}', link='/requests')


def node_assigned(db: Session, user_id: int, address: str, label: str | None, assignment_id: int) -> None:
    notifications.notify(db, user_id, 'node_assigned', {'node': label or address, 'address': address},
                         dedup_key=f'node_assigned:{assignment_id}', link=f'/nodes/{address}')


def node_unassigned(db: Session, user_id: int | None, address: str, assignment_id: int) -> None:
    notifications.notify(db, user_id, 'node_unassigned', {'node': address, 'address': address},
                         dedup_key=f'node_unassigned:{assignment_id}', link='/nodes')
