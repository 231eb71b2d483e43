"""Read models of nodes and the network for pages and the API. They read only our database, never an upstream.

Every amount is integer ngonka; conversion to GNK text or another currency happens at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from minegnk.db.models import (EarningsHistory, NetworkSnapshot, Node, NodeAssignment, NodeStatsCache,
                               NodeStatusHistory, utcnow)
from minegnk.services import earnings as earnings_rules
from minegnk.services import staleness, units

STATUSES = ('healthy', 'unhealthy', 'jailed', 'offline', 'inactive', 'unknown')
ATTENTION_ORDER = {'jailed': 0, 'offline': 1, 'unhealthy': 2, 'inactive': 3, 'unknown': 4, 'healthy': 5}
STALE_AFTER = timedelta(minutes=10)
TRAILING_EPOCHS_FOR_DAILY = 7  # per-day earnings: average of the last settled epochs


@dataclass(frozen=True)
class NetworkStatus:
    epoch_id: int | None
    phase: str | None
    block_height: int | None
    avg_block_seconds: Decimal | None
    epoch_length: int | None
    next_poc_start_block: int | None
    next_poc_eta: datetime | None  # estimated from the block time
    taken_at: datetime | None  # when we last refreshed (successfully or not)
    data_age_s: float | None
    source: str | None
    stale: bool
    stale_reason: str | None
    participant_count: int | None
    total_weight: int | None
    failing_share: Decimal | None  # share of the network jailed or failing health at once

    @property
    def epochs_per_day(self) -> Decimal | None:
        if not self.epoch_length or not self.avg_block_seconds:
            return None
        return units.epochs_per_day(self.epoch_length, self.avg_block_seconds)


@dataclass(frozen=True)
class NodeSummary:
    node_id: int
    address: str
    label: str | None
    gpu_type: str | None
    gpu_count: int | None
    region: str | None
    gcore_instance_id: str | None
    assigned_at: datetime
    status: str
    reasons: list[dict[str, Any]]
    models: list[str]
    weight: int | None
    weight_share: Decimal | None
    inference_count: int | None
    missed_requests: int | None
    missed_rate: Decimal | None
    epoch_work_ngonka: int | None  # work coins earned so far this epoch (settles with the epoch)
    reward_estimate_ngonka: int | None  # this epoch's reward if weights hold (an estimate, labelled as such)
    per_day_ngonka: int | None  # average of recent settled epochs, converted with the measured epoch length
    total_ngonka: int  # sum of every settled epoch we know
    settled_epochs: int
    source: str | None
    data_as_of: datetime | None
    fetched_at: datetime | None
    stale: bool
    stale_reason: str | None

    @property
    def needs_attention(self) -> bool:
        return self.status in ('jailed', 'offline', 'unhealthy', 'inactive')


@dataclass(frozen=True)
class EpochEarningRow:
    epoch_id: int
    reward_ngonka: int
    work_ngonka: int
    claimed: bool
    burned: bool  # an unclaimed reward of an epoch older than the claim window
    settled_at: datetime | None
    inference_count: int
    missed_requests: int

    @property
    def total_ngonka(self) -> int:
        return self.reward_ngonka + self.work_ngonka


@dataclass(frozen=True)
class StatusPoint:
    observed_at: datetime
    status: str
    reasons: list[dict[str, Any]]
    inference_count: int | None
    missed_requests: int | None
    epoch_id: int | None


@dataclass(frozen=True)
class NodeDetail:
    summary: NodeSummary
    view: dict[str, Any]  # the full normalised view (see services.node_cache)
    earnings: list[EpochEarningRow] = field(default_factory=list)


def network_status(db: Session, *, now: datetime | None = None) -> NetworkStatus:
    now = now or utcnow()
    latest = db.scalar(select(NetworkSnapshot).order_by(NetworkSnapshot.id.desc()).limit(1))
    good = latest if latest is None or not latest.stale else db.scalar(
        select(NetworkSnapshot).where(NetworkSnapshot.stale.is_(False)).order_by(NetworkSnapshot.id.desc()).limit(1))
    base = good or latest
    if base is None:
        return NetworkStatus(None, None, None, None, None, None, None, None, None, None, True, 'no data yet', None,
                             None, None)
    block_seconds = Decimal(base.avg_block_seconds) if base.avg_block_seconds is not None else None
    eta = None
    if base.next_poc_start_block and base.block_height and block_seconds:
        remaining = max(0, base.next_poc_start_block - base.block_height)
        eta = base.taken_at + timedelta(seconds=float(remaining * block_seconds))
    age = (now - base.taken_at).total_seconds()
    stale = bool(latest.stale) or age > STALE_AFTER.total_seconds()
    reason = latest.stale_reason if latest.stale else (staleness.OLD_DATA if stale else None)
    return NetworkStatus(
        epoch_id=base.epoch_id, phase=base.phase, block_height=base.block_height, avg_block_seconds=block_seconds,
        epoch_length=base.epoch_length, next_poc_start_block=base.next_poc_start_block, next_poc_eta=eta,
        taken_at=latest.taken_at, data_age_s=age, source=base.source, stale=stale, stale_reason=reason,
        participant_count=base.participant_count, total_weight=base.total_weight,
        failing_share=Decimal(base.failing_share) if base.failing_share is not None else None)


def _earnings_by_node(db: Session, node_ids: list[int]) -> dict[int, list[EarningsHistory]]:
    result: dict[int, list[EarningsHistory]] = {i: [] for i in node_ids}
    if node_ids:
        for row in db.scalars(select(EarningsHistory).where(EarningsHistory.node_id.in_(node_ids))
                              .order_by(EarningsHistory.epoch_id)):
            result[row.node_id].append(row)
    return result


@dataclass(frozen=True)
class _EarningsTotals:
    total_ngonka: int = 0
    settled_epochs: int = 0
    recent_ngonka: int = 0  # the newest TRAILING_EPOCHS_FOR_DAILY settled epochs
    recent_epochs: int = 0


def _earnings_totals(db: Session, node_ids: list[int]) -> dict[int, _EarningsTotals]:
    """Per node, summed by the database: a list of 50 nodes × 90 epochs as ORM objects cost ~0.3 s per dashboard."""
    if not node_ids:
        return {}
    e = EarningsHistory
    newest = func.row_number().over(partition_by=e.node_id, order_by=e.epoch_id.desc())
    ranked = select(e.node_id, (e.reward_ngonka + e.work_ngonka).label('amount'), newest.label('newest')) \
        .where(e.node_id.in_(node_ids)).subquery()
    recent = ranked.c.newest <= TRAILING_EPOCHS_FOR_DAILY
    query = select(ranked.c.node_id, func.sum(ranked.c.amount), func.count(),
                   func.sum(case((recent, ranked.c.amount), else_=0)), func.count(case((recent, 1)))) \
        .group_by(ranked.c.node_id)
    # int(): PostgreSQL sums bigints as numeric (Decimal); the values are whole ngonka either way.
    return {node_id: _EarningsTotals(int(total), count, int(recent_sum), recent_count)
            for node_id, total, count, recent_sum, recent_count in db.execute(query)}


def _summary(node: Node, assigned_at: datetime, cache: NodeStatsCache | None, earnings: _EarningsTotals,
             network: NetworkStatus) -> NodeSummary:
    view = (cache.view if cache else None) or {}
    per_day = None
    if earnings.recent_epochs and network.epoch_length and network.avg_block_seconds:
        per_epoch = earnings.recent_ngonka // earnings.recent_epochs
        per_day = units.per_day(per_epoch, network.epoch_length, network.avg_block_seconds)
    estimate = None
    if view.get('weight') and view.get('network_weight') and view.get('epoch_id'):
        estimate = earnings_rules.reward_estimate(view['epoch_id'], view['weight'], view['network_weight']).reward_ngonka
    share = view.get('weight_share')
    missed_rate = view.get('missed_rate')
    stale = bool(cache.stale) if cache else True
    if cache and cache.fetched_at and utcnow() - cache.fetched_at > STALE_AFTER:
        stale = True
    return NodeSummary(
        node_id=node.id, address=node.address, label=node.label, gpu_type=node.gpu_type, gpu_count=node.gpu_count,
        region=node.region, gcore_instance_id=node.gcore_instance_id, assigned_at=assigned_at,
        status=cache.status if cache else 'unknown', reasons=list(cache.reasons or []) if cache else [],
        models=list(view.get('models') or []), weight=cache.weight if cache else None,
        weight_share=Decimal(share) if share is not None else None,
        inference_count=cache.inference_count if cache else None,
        missed_requests=cache.missed_requests if cache else None,
        missed_rate=Decimal(missed_rate) if missed_rate is not None else None,
        epoch_work_ngonka=cache.epoch_work_ngonka if cache else None, reward_estimate_ngonka=estimate,
        per_day_ngonka=per_day, total_ngonka=earnings.total_ngonka,
        settled_epochs=earnings.settled_epochs, source=cache.source if cache else None,
        data_as_of=cache.data_as_of if cache else None, fetched_at=cache.fetched_at if cache else None,
        stale=stale, stale_reason=(cache.stale_reason if cache else 'no data yet'))


def user_nodes(db: Session, user_id: int) -> list[NodeSummary]:
    """The nodes a user owns right now, problems first."""
    rows = db.execute(
        select(Node, NodeAssignment.assigned_at, NodeStatsCache).join(NodeAssignment, NodeAssignment.node_id == Node.id)
        .outerjoin(NodeStatsCache, NodeStatsCache.node_id == Node.id)
        .where(NodeAssignment.user_id == user_id, NodeAssignment.unassigned_at.is_(None))).all()
    network = network_status(db)
    totals = _earnings_totals(db, [node.id for node, _, _ in rows])
    summaries = [_summary(node, assigned_at, cache, totals.get(node.id, _EarningsTotals()), network)
                 for node, assigned_at, cache in rows]
    return sorted(summaries, key=lambda s: (ATTENTION_ORDER.get(s.status, 9), s.label or '', s.address))


def owned_node(db: Session, address: str, *, user_id: int, is_admin: bool = False) -> Node | None:
    """The node if this user may see it (its owner, or an admin); None otherwise, exactly as for a missing node."""
    node = db.scalar(select(Node).where(Node.address == address.strip().lower()))
    if node is None:
        return None
    if is_admin:
        return node
    owner = db.scalar(select(NodeAssignment.user_id).where(NodeAssignment.node_id == node.id,
                                                           NodeAssignment.unassigned_at.is_(None)))
    return node if owner == user_id else None


def node_detail(db: Session, address: str, *, user_id: int, is_admin: bool = False) -> NodeDetail | None:
    node = owned_node(db, address, user_id=user_id, is_admin=is_admin)
    if node is None:
        return None
    assigned_at = db.scalar(select(NodeAssignment.assigned_at).where(NodeAssignment.node_id == node.id)
                            .order_by(NodeAssignment.assigned_at.desc()).limit(1)) or node.created_at
    cache = db.get(NodeStatsCache, node.id)
    history = _earnings_by_node(db, [node.id])[node.id]
    network = network_status(db)
    summary = _summary(node, assigned_at, cache, _earnings_totals(db, [node.id]).get(node.id, _EarningsTotals()),
                       network)
    current = network.epoch_id
    rows = [EpochEarningRow(epoch_id=r.epoch_id, reward_ngonka=r.reward_ngonka, work_ngonka=r.work_ngonka,
                            claimed=r.claimed, burned=bool(current and not r.claimed and r.reward_ngonka > 0
                                                           and r.epoch_id < current - 1),
                            settled_at=r.settled_at, inference_count=r.inference_count,
                            missed_requests=r.missed_requests) for r in history]
    view = {k: v for k, v in ((cache.view if cache else None) or {}).items() if not k.startswith('_')}
    view['recent_jobs'] = list((cache.recent_jobs if cache else None) or [])
    return NodeDetail(summary=summary, view=view, earnings=rows)


def status_history(db: Session, node_id: int, *, since: datetime, until: datetime | None = None) -> list[StatusPoint]:
    query = select(NodeStatusHistory).where(NodeStatusHistory.node_id == node_id, NodeStatusHistory.observed_at >= since)
    if until is not None:
        query = query.where(NodeStatusHistory.observed_at <= until)
    return [StatusPoint(r.observed_at, r.status, list(r.reasons or []), r.inference_count, r.missed_requests, r.epoch_id)
            for r in db.scalars(query.order_by(NodeStatusHistory.observed_at))]


def uptime_share(points: list[StatusPoint]) -> Decimal | None:
    """Share of observations in which the node was up (healthy or unhealthy); unknown observations don't count."""
    known = [p for p in points if p.status != 'unknown']
    if not known:
        return None
    up = sum(1 for p in known if p.status in ('healthy', 'unhealthy'))
    return (Decimal(up) / Decimal(len(known))).quantize(Decimal('0.0001'))


def count_by_status(summaries: list[NodeSummary]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for s in summaries:
        counts[s.status] = counts.get(s.status, 0) + 1
    return counts

