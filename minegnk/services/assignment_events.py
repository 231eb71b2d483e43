"""Signals about node ownership, emitted after the change is committed (so listeners read the new state).

``assignments_changed`` carries the id of the user whose node list changed (once per user per unit of work);
``node_assigned`` carries each newly assigned address (the data layer hooks the history backfill to it).
Listeners run in the thread that committed; UI listeners must hand their work to the event loop.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from minegnk.services.events import Signal

assignments_changed: Signal[int] = Signal('assignments_changed')
node_assigned: Signal[str] = Signal('node_assigned')

_PENDING_KEY = 'minegnk.assignment_events.pending'
_LISTENING_KEY = 'minegnk.assignment_events.listening'


def emit_after_commit(db: Session, *, user_ids: set[int] | frozenset[int] = frozenset(),
                      addresses: list[str] | tuple[str, ...] = ()) -> None:
    """Queue signals on ``db``; they fire once it commits and are dropped if it rolls back."""
    if not db.info.get(_LISTENING_KEY):  # listeners live as long as this (short-lived) session
        db.info[_LISTENING_KEY] = True
        event.listen(db, 'after_commit', _fire)
        event.listen(db, 'after_rollback', _drop)
    pending = db.info.setdefault(_PENDING_KEY, {'users': set(), 'addresses': []})
    pending['users'].update(user_ids)
    pending['addresses'].extend(a for a in addresses if a not in pending['addresses'])


def _forget(db: Session) -> dict | None:
    return db.info.pop(_PENDING_KEY, None)


def _drop(db: Session) -> None:
    if not db.in_nested_transaction():  # a savepoint's rollback does not undo the outer unit of work
        _forget(db)


def _fire(db: Session) -> None:
    if db.in_nested_transaction():  # released savepoint: wait for the real commit
        return
    pending = _forget(db)
    if not pending:
        return
    for address in pending['addresses']:
        node_assigned.emit(address)
    for user_id in sorted(pending['users']):
        assignments_changed.emit(user_id)
