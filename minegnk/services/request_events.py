"""Notifications about support requests, kept apart from events.py so request work does not touch shared modules."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from minegnk.services.events import Signal

# Payload: the id of the user who owns the changed request (0 when the owner's account was deleted).
# Admin queue pages listen to every emission; a customer's pages only to their own id.
requests_changed: Signal[int] = Signal('requests_changed')

_PENDING_KEY = 'minegnk.requests_changed'
_LISTENING_KEY = 'minegnk.requests_changed.listening'


def notify_after_commit(session: Session, user_id: int | None) -> None:
    """Emit ``requests_changed`` once the caller's transaction commits (listeners re-read the database, so
    emitting earlier could show them the old state); nothing is emitted if it rolls back."""
    if not session.info.get(_LISTENING_KEY):
        session.info[_LISTENING_KEY] = True
        event.listen(session, 'after_commit', _flush_pending)
        event.listen(session, 'after_rollback', _drop_pending)
    session.info.setdefault(_PENDING_KEY, set()).add(user_id or 0)


def _flush_pending(session: Session) -> None:
    for user_id in sorted(session.info.pop(_PENDING_KEY, set())):
        requests_changed.emit(user_id)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
