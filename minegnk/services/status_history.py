"""Writing node status history together with its transitions (node_status_changes).

Everything that records status history (the refresh job, the demo, test and benchmark seeds) goes through
``append``, so the transitions the activity feed reads always agree with the history the timelines draw. The rule
is the one the 0003 migration backfilled with: a row whose status differs from the node's previous row is a change;
a node's first row ever is not (there is nothing it changed from).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from minegnk.db.models import Node, NodeStatusChange, NodeStatusHistory


def latest_statuses(db: Session | Connection, node_ids: Iterable[int]) -> dict[int, str]:
    """Each node's newest recorded status (one index seek per node), for the nodes that have any history."""
    ids = list(set(node_ids))
    if not ids:
        return {}
    h = NodeStatusHistory
    newest = (select(h.status).where(h.node_id == Node.id).order_by(h.observed_at.desc(), h.id.desc()).limit(1)
              .correlate(Node).scalar_subquery())
    return {node_id: status for node_id, status in db.execute(select(Node.id, newest).where(Node.id.in_(ids)))
            if status is not None}


def changes_between(rows: Sequence[dict[str, Any]], previous: dict[int, str]) -> list[dict[str, Any]]:
    """The change rows that ``rows`` (history rows as dicts, any order) make after each node's ``previous`` status.
    Pure: no database."""
    last = dict(previous)
    changes = []
    for row in sorted(rows, key=lambda r: (r['node_id'], r['observed_at'])):
        node_id, status = row['node_id'], row['status']
        before = last.get(node_id)
        if before is not None and before != status:
            changes.append({'node_id': node_id, 'changed_at': row['observed_at'], 'from_status': before,
                            'to_status': status, 'reasons': list(row.get('reasons') or [])})
        last[node_id] = status
    return changes


def append(db: Session | Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert status-history rows (newer than any the nodes already have) and the changes they make, in the
    caller's transaction, as two multi-row INSERTs. Returns the number of changes."""
    if not rows:
        return 0
    changes = changes_between(rows, latest_statuses(db, (r['node_id'] for r in rows)))
    db.execute(insert(NodeStatusHistory), list(rows))
    if changes:
        db.execute(insert(NodeStatusChange), changes)
    return len(changes)
