"""Node alerts, evaluated at the end of every refresh cycle inside its transaction (``on_cycle``).

Rules that make silence trustworthy:
- A status must be seen on ``confirm_cycles`` consecutive refreshes before it counts (recovery too).
- ``unknown`` (no fresh upstream data) is no observation at all: it neither confirms nor resets anything.
- What the user was last told (``alerted_status``) is compared with the confirmed status every cycle, so a node
  still down when a mute, maintenance window, flapping period or incident ends is reported then.
- A node that changes state ``flap_changes`` times within the window gets one "keeps changing" message.
- Many of a user's nodes failing together, or a large failing share of the network, gives one incident notice.
Also low settled rewards and rewards about to be burned unclaimed.
"""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from minegnk.config import Settings, get_settings
from minegnk.db.models import (AlertState, EarningsHistory, NetworkSnapshot, Node, NodeAssignment, NodeStatusHistory,
                               utcnow)
from minegnk.services import notifications
from minegnk.services.missed_test import missed_test

log = logging.getLogger(__name__)

BAD = frozenset({'offline', 'jailed', 'unhealthy', 'inactive'})
GOOD = frozenset({'healthy'})
INCIDENT_MIN_NODES = 3  # a user's own "incident" needs at least this many nodes failing together
INCIDENT_NODE_SHARE = 0.5  # ... and at least this share of their nodes
LOW_REWARD_RATIO = Decimal('0.5')
LOW_REWARD_HISTORY = 10  # epochs in the trailing median
LOW_REWARD_MIN_HISTORY = 3
CLAIM_WARNING_SHARE = Decimal('0.25')  # warn when less than this share of the epoch is left to claim


@dataclass(frozen=True)
class AlertRules:
    confirm_cycles: int = 2
    flap_changes: int = 4
    flap_window: timedelta = timedelta(minutes=60)
    incident_share: Decimal = Decimal('0.3')

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertRules:
        return cls(settings.alert_confirm_cycles, settings.alert_flap_changes,
                   timedelta(minutes=settings.alert_flap_window_minutes), Decimal(str(settings.alert_incident_share)))


@dataclass(frozen=True)
class Proposal:
    """What the state machine would tell the user about one node this cycle (before incident folding)."""

    kind: str  # node_down | node_recovered | node_flapping
    old: str | None
    new: str
    count: int = 0


def suppressed(state: AlertState, now: datetime) -> bool:
    if state.muted_until is not None and state.muted_until > now:
        return True
    return state.maintenance_from is not None and state.maintenance_to is not None and \
        state.maintenance_from <= now < state.maintenance_to


def observe(state: AlertState, status: str, reasons: list, now: datetime, rules: AlertRules) -> bool:
    """Feed one refresh's status into the confirmation counter; True when the confirmed status changed."""
    state.pending_count = state.pending_count or 0
    state.flap_count = state.flap_count or 0
    if state.flap_window_start is not None and now - state.flap_window_start > rules.flap_window:
        state.flap_window_start, state.flap_count, state.flap_notified = None, 0, False  # settled
    if status == 'unknown' or status not in BAD | GOOD:
        return False  # no data is not a state
    if status == state.confirmed_status:
        state.pending_status, state.pending_count = None, 0
        state.confirmed_reasons = reasons
        return False
    if status == state.pending_status:
        state.pending_count += 1
    else:
        state.pending_status, state.pending_count = status, 1
    if state.pending_count < rules.confirm_cycles:
        return False
    old = state.confirmed_status
    state.confirmed_status, state.confirmed_reasons, state.changed_at = status, reasons, now
    state.pending_status, state.pending_count = None, 0
    if old is None:
        state.alerted_status = status  # the first state we learn is not news
        return False
    if state.flap_window_start is None:
        state.flap_window_start, state.flap_count = now, 0
    state.flap_count += 1
    return True


def propose(state: AlertState, now: datetime, rules: AlertRules) -> Proposal | None:
    """What to tell the user now, given what they were last told (None: nothing). Call after ``observe``."""
    if state.confirmed_status is None or suppressed(state, now):
        return None
    if state.flap_count >= rules.flap_changes:
        if state.flap_notified:
            return None
        return Proposal('node_flapping', state.alerted_status, state.confirmed_status, state.flap_count)
    if state.confirmed_status == state.alerted_status:
        return None
    if state.confirmed_status in BAD:
        return Proposal('node_down', state.alerted_status, state.confirmed_status)
    if state.alerted_status in BAD:
        return Proposal('node_recovered', state.alerted_status, state.confirmed_status)
    state.alerted_status = state.confirmed_status  # e.g. healthy after a silent first state: nothing to say
    return None


def on_cycle(db: Session, *, now: datetime | None = None, snapshot: NetworkSnapshot | None = None,
             rules: AlertRules | None = None) -> None:
    """The refresh cycle's hook. A failure here is logged and never loses the cycle's data (savepoint)."""
    now = now or utcnow()
    try:
        with db.begin_nested():
            evaluate(db, now=now, snapshot=snapshot, rules=rules or AlertRules.from_settings(get_settings()))
    except Exception:
        log.exception('alert evaluation failed; the refresh data is kept')


def evaluate(db: Session, *, now: datetime, snapshot: NetworkSnapshot | None, rules: AlertRules) -> None:
    observed = {row.node_id: row for row in db.scalars(select(NodeStatusHistory)
                                                          .where(NodeStatusHistory.observed_at == now))}
    owners = db.execute(select(NodeAssignment.node_id, NodeAssignment.user_id, NodeAssignment.assigned_at,
                               Node.address, Node.label).join(Node, Node.id == NodeAssignment.node_id)
                        .where(NodeAssignment.unassigned_at.is_(None), NodeAssignment.user_id.is_not(None))).all()
    if not owners:
        return
    user_ids = {o.user_id for o in owners}
    states = {(s.user_id, s.node_id): s for s in db.scalars(select(AlertState).where(AlertState.user_id.in_(user_ids)))}

    def state_for(user_id: int, node_id: int | None) -> AlertState:
        state = states.get((user_id, node_id))
        if state is None:
            state = AlertState(user_id=user_id, node_id=node_id, pending_count=0, flap_count=0, flap_notified=False,
                               seq=0, confirmed_reasons=[])
            db.add(state)
            states[(user_id, node_id)] = state
        return state

    network_failing = snapshot is not None and snapshot.failing_share is not None and \
        Decimal(snapshot.failing_share) >= rules.incident_share
    by_user: dict[int, list] = {}
    for owner in owners:
        by_user.setdefault(owner.user_id, []).append(owner)
    for user_id, nodes in by_user.items():
        proposals = []
        bad_now = newly_bad = 0
        for owner in nodes:
            state = state_for(user_id, owner.node_id)
            row = observed.get(owner.node_id)
            changed = observe(state, row.status, list(row.reasons or []), now, rules) if row is not None else False
            bad_now += state.confirmed_status in BAD
            newly_bad += changed and state.confirmed_status in BAD
            proposal = propose(state, now, rules)
            if proposal is not None:
                proposals.append((owner, state, proposal))
        incident = state_for(user_id, None)
        threshold = max(INCIDENT_MIN_NODES, math.ceil(INCIDENT_NODE_SHARE * len(nodes)))
        was_active = incident.confirmed_status == 'incident'
        downs = [p for p in proposals if p[2].kind != 'node_recovered']
        active = (network_failing and bool(downs or was_active)) or newly_bad >= threshold or \
            (was_active and bad_now >= threshold)
        if active and not was_active:
            incident.confirmed_status, incident.changed_at, incident.seq = 'incident', now, (incident.seq or 0) + 1
            share = float(Decimal(snapshot.failing_share) * 100) if network_failing else None
            notifications.notify(db, user_id, 'network_incident',
                                 {'share': share, 'count': max(bad_now, len(downs)), 'total': len(nodes)},
                                 dedup_key=f'incident:{user_id}:{incident.seq}', link='/', now=now)
        elif was_active and not active:
            incident.confirmed_status, incident.changed_at = None, now
            notifications.notify(db, user_id, 'network_incident_over', {},
                                 dedup_key=f'incident:{user_id}:{incident.seq}:over', link='/', now=now)
        if active:
            continue  # individual alerts wait; whatever is still wrong afterwards is reported then
        for owner, state, proposal in proposals:
            _send_node_alert(db, owner, state, proposal, now, rules)
    _reward_alerts(db, owners, snapshot, now)


def _node_name(owner) -> str:  # noqa: ANN001
    return owner.label.strip() if owner.label and owner.label.strip() else owner.address


def _send_node_alert(db: Session, owner, state: AlertState, proposal: Proposal, now: datetime,  # noqa: ANN001
                     rules: AlertRules) -> None:
    db.flush()  # the state's id names the dedup key
    state.seq = (state.seq or 0) + 1
    params = {'node': _node_name(owner), 'address': owner.address, 'old': proposal.old, 'new': proposal.new}
    if proposal.kind == 'node_down':
        params['reasons'] = list(state.confirmed_reasons or [])
    if proposal.kind == 'node_flapping':
        params = {**params, 'count': proposal.count, 'status': proposal.new,
                  'minutes': int(rules.flap_window.total_seconds() // 60)}
        state.flap_notified = True
    state.alerted_status = proposal.new  # the summary says what it is now
    notifications.notify(db, owner.user_id, proposal.kind, params, dedup_key=f'alert:{state.id}:{state.seq}',
                         link=f'/nodes/{owner.address}', now=now)


def _reward_alerts(db: Session, owners: list, snapshot: NetworkSnapshot | None, now: datetime) -> None:
    by_node = {o.node_id: o for o in owners}
    current = snapshot.epoch_id if snapshot is not None else None
    # Epochs stored or re-read by this cycle (the dedup key makes a second look harmless).
    for row in db.scalars(select(EarningsHistory).where(EarningsHistory.fetched_at == now,
                                                        EarningsHistory.node_id.in_(list(by_node)))):
        owner = by_node[row.node_id]
        if (current is None or row.epoch_id >= current - 2) and \
                (row.settled_at is None or row.settled_at >= owner.assigned_at):  # settled while the node was theirs
            _low_reward(db, owner, row, now)
    if current is not None:
        for row in db.scalars(select(EarningsHistory).where(
                EarningsHistory.node_id.in_(list(by_node)), EarningsHistory.epoch_id == current - 1,
                EarningsHistory.claimed.is_(False), EarningsHistory.reward_ngonka > 0)):
            _unclaimed(db, by_node[row.node_id], row, snapshot, now)


def _low_reward(db: Session, owner, row: EarningsHistory, now: datetime) -> None:  # noqa: ANN001
    history = [r.reward_ngonka + r.work_ngonka for r in db.scalars(
        select(EarningsHistory).where(EarningsHistory.node_id == row.node_id, EarningsHistory.epoch_id < row.epoch_id)
        .order_by(EarningsHistory.epoch_id.desc()).limit(LOW_REWARD_HISTORY))]
    if len(history) < LOW_REWARD_MIN_HISTORY:
        return
    median = Decimal(statistics.median(history))
    total = row.reward_ngonka + row.work_ngonka
    if median <= 0 or (total > 0 and Decimal(total) >= median * LOW_REWARD_RATIO):
        return
    notifications.notify(db, owner.user_id, 'low_reward',
                         {'node': _node_name(owner), 'address': owner.address, 'epoch': row.epoch_id,
                          'ngonka': total, 'median_ngonka': int(median), 'cause': likely_cause(db, row)},
                         dedup_key=f'low_reward:{owner.user_id}:{row.node_id}:{row.epoch_id}',
                         link=f'/nodes/{owner.address}', now=now)


def likely_cause(db: Session, row: EarningsHistory) -> str | None:
    """Why an epoch paid little, from what we saw during it: jailed, missed requests, inactive, offline."""
    seen = list(db.execute(select(NodeStatusHistory.status, NodeStatusHistory.reasons).where(
        NodeStatusHistory.node_id == row.node_id, NodeStatusHistory.epoch_id == row.epoch_id)).all())
    statuses = {s for s, _ in seen}
    codes = {r.get('code') for _, reasons in seen for r in (reasons or []) if isinstance(r, dict)}
    if 'jailed' in statuses:
        return 'jailed'
    if 'missed_test_failed' in codes or not missed_test(row.missed_requests, row.inference_count).passed:
        return 'missed_requests'
    if 'inactive' in statuses:
        return 'inactive'
    if 'offline' in statuses:
        return 'offline'
    return None


def _unclaimed(db: Session, owner, row: EarningsHistory, snapshot: NetworkSnapshot | None,  # noqa: ANN001
               now: datetime) -> None:
    """A settled reward can be claimed until the next epoch starts; warn in the last quarter of that window."""
    if snapshot is None or row.claimed or row.reward_ngonka <= 0 or snapshot.epoch_id is None \
            or row.epoch_id != snapshot.epoch_id - 1:
        return
    if not (snapshot.block_height and snapshot.next_poc_start_block and snapshot.epoch_length):
        return
    left = snapshot.next_poc_start_block - snapshot.block_height
    if left <= 0 or left > snapshot.epoch_length * CLAIM_WARNING_SHARE:
        return
    seconds = Decimal(snapshot.avg_block_seconds or 6) * left
    notifications.notify(db, owner.user_id, 'unclaimed_reward',
                         {'node': _node_name(owner), 'address': owner.address, 'epoch': row.epoch_id,
                          'ngonka': row.reward_ngonka, 'minutes': max(1, int(seconds // 60))},
                         dedup_key=f'unclaimed:{owner.user_id}:{row.node_id}:{row.epoch_id}',
                         link=f'/nodes/{owner.address}', now=now)
