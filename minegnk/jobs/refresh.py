"""The background refresh: one cycle reads the upstreams once and writes what pages and the API read.

Per cycle: one network snapshot (tracker; the node API directly when the tracker fails or is older than 10 minutes),
liveness probes for assigned nodes, newly settled epochs per assigned node, hardware once per node per epoch.
Calls grow with assigned nodes, never with users or page views. Everything a cycle learns is written in one
transaction after all upstream calls are done, so a failure never leaves a half-applied cycle behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from minegnk.config import Settings
from minegnk.db.engine import session_scope
from minegnk.db.models import (EarningsHistory, NetworkSnapshot, Node, NodeAssignment, NodeStatsCache, UpstreamHealth,
                               utcnow)
from minegnk.services import alerts, node_cache, staleness, status_history
from minegnk.services.addresses import InvalidAddress, account_to_valoper, consensus_address
from minegnk.services.status import (LivenessState, NodeApiSnapshot, NodeView, TrackerSnapshot, advance_liveness,
                                     build_node_view)
from minegnk.upstream.http import UpstreamError
from minegnk.upstream.node_api import NodeApiClient
from minegnk.upstream.probe import ProbeResult, make_probe_client, probe_liveness
from minegnk.upstream.schemas import (EpochParticipants, EpochPerformanceSummary, EpochsLatest, HardwareNode,
                                      InferenceResponse, ParticipantDetailsResponse, SchemaError, SigningInfo,
                                      StakingValidator)
from minegnk.upstream.tracker import TrackerClient

log = logging.getLogger(__name__)
T = TypeVar('T')
JailState = tuple[bool | None, datetime | None]  # (is_jailed, jailed_until); (None, None) = unknown

TRACKER_MAX_AGE = timedelta(minutes=10)
DEFAULT_BLOCK_SECONDS = Decimal('6.0')
BACKFILL_EPOCHS = 60
BACKFILL_CALLS_PER_RUN = 3000  # per run after a cycle; more newly assigned nodes wait for the next run
RECENT_EPOCHS = 2  # the cycle looks at the last settled epochs; older ones are the backfill's job
CLAIM_RECHECK = timedelta(minutes=15)  # an unclaimed epoch is re-read this often until claimed (or burned)
# Per-node node-API calls one cycle may make for settled epochs and hardware; the rest wait for the next cycle, so an
# epoch rollover with 1,000 nodes spreads over a few cycles instead of making one cycle ten times longer.
NODE_CALLS_PER_CYCLE = 250
# The tracker rebuilds its recent-jobs lists every 20 minutes; asking more often per node would only repeat them.
JOBS_REFRESH = timedelta(minutes=20)
JOB_CALLS_PER_CYCLE = 100
MAX_RECENT_JOBS = 30
PER_NODE_CONCURRENCY = 64  # probes are cheap; per-node node-API calls are bounded by the client itself


@dataclass
class Upstreams:
    tracker: TrackerClient
    node_api: NodeApiClient
    probe_client: httpx.AsyncClient

    @classmethod
    def from_settings(cls, settings: Settings) -> Upstreams:
        # Few JSON calls in flight: httpx spends more CPU per request as concurrency grows (bench/README.md).
        return cls(TrackerClient(settings.tracker_url), NodeApiClient(settings.node_url_list, max_concurrency=4),
                   make_probe_client())

    async def aclose(self) -> None:
        await self.tracker.aclose()
        await self.node_api.aclose()
        await self.probe_client.aclose()


@dataclass
class AssignedNode:
    """What the cycle needs to know about one assigned node from our own database."""

    node_id: int
    address: str
    liveness: LivenessState | None
    inference_url: str
    hardware_epoch: int | None
    hardware: tuple[HardwareNode, ...]
    earnings_scanned_from: int | None  # lowest epoch already looked at (None: never backfilled)
    stored_epochs: dict[int, tuple[bool, datetime]]  # epoch -> (claimed, last fetched)
    jobs_fetched_at: datetime | None = None


@dataclass
class NodeResult:
    node: AssignedNode
    view: NodeView | None
    liveness: LivenessState | None
    hardware_epoch: int | None
    hardware: tuple[HardwareNode, ...]
    summaries: list[EpochPerformanceSummary] = field(default_factory=list)
    scanned_from: int | None = None
    recent_jobs: list[dict[str, Any]] | None = None  # None: not fetched this cycle, the stored list stays
    jobs_fetched_at: datetime | None = None


@dataclass
class CycleReport:
    started_at: datetime
    finished_at: datetime | None = None
    source: str | None = None  # tracker | node_api | None (no fresh data)
    epoch_id: int | None = None
    nodes: int = 0
    stale: bool = False
    stale_reason: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    new_epochs_stored: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase: network, nodes, write
    settlement: SettlementClock | None = None  # this cycle's block clock, reused by the backfill that follows

    @property
    def duration_s(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None


class RefreshJob:
    def __init__(self, upstreams: Upstreams, *, backfill_epochs: int = BACKFILL_EPOCHS) -> None:
        self.upstreams = upstreams
        self.backfill_epochs = backfill_epochs
        self._lock = asyncio.Lock()  # one cycle never overlaps the next
        self._semaphore = asyncio.Semaphore(PER_NODE_CONCURRENCY)
        self.known_addresses: frozenset[str] = frozenset()  # the network's active set at the last cycle
        self.last_report: CycleReport | None = None
        self._call_budget = 0
        self._job_budget = 0

    @property
    def running(self) -> bool:
        return self._lock.locked()

    async def run_cycle(self) -> CycleReport:
        async with self._lock:
            report = await self._cycle()
            self.last_report = report
            return report

    # ------------------------------------------------------------------------------------------------ the cycle
    async def _cycle(self) -> CycleReport:
        report = CycleReport(started_at=utcnow())
        clock = time.perf_counter()
        nodes = await asyncio.to_thread(load_assigned_nodes)
        epoch_info, tracker = await asyncio.gather(
            self._call(report, 'node_api', self.upstreams.node_api.epochs_latest()),
            self._call(report, 'tracker', self.upstreams.tracker.inference_current()))
        now = utcnow()
        tracker_fresh = tracker is not None and tracker.cached_at is not None and now - tracker.cached_at <= TRACKER_MAX_AGE
        if tracker is not None and not tracker_fresh:
            report.errors.setdefault('tracker', staleness.OLD_DATA)
        participants: EpochParticipants | None = None
        if tracker_fresh:
            report.source = 'tracker'
            self.known_addresses = frozenset(p.address for p in tracker.participants)
        else:
            participants = await self._call(report, 'node_api', self.upstreams.node_api.current_participants())
            if participants is not None:
                report.source = 'node_api'
                self.known_addresses = frozenset(p.index for p in participants.participants)
        if report.source is None:
            report.stale = True
            report.stale_reason = '; '.join(f'{k}: {v}' for k, v in sorted(report.errors.items())) or staleness.NO_DATA
        jail = await self._jail_states(nodes) if report.source == 'node_api' else {}

        current_epoch = (epoch_info.epoch_index if epoch_info else None) or \
            (tracker.epoch_id if tracker_fresh else None) or (participants.epoch_id if participants else None)
        report.epoch_id = current_epoch
        self._call_budget = NODE_CALLS_PER_CYCLE
        self._job_budget = JOB_CALLS_PER_CYCLE
        node_api_ok = 'node_api' not in report.errors
        report.timings['network'] = round(time.perf_counter() - clock, 3)

        clock = time.perf_counter()
        results = await asyncio.gather(*(
            self._refresh_node(node, report, now=now, epoch_info=epoch_info, tracker=tracker if tracker_fresh else None,
                               participants=participants, current_epoch=current_epoch, node_api_ok=node_api_ok,
                               jail=jail.get(node.address, (None, None)))
            for node in nodes))
        report.nodes = len(results)
        report.timings['nodes'] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()
        report.finished_at = utcnow()
        block_seconds = _block_seconds(tracker, epoch_info)
        report.new_epochs_stored = await asyncio.to_thread(
            write_cycle, report, list(results), epoch_info, tracker if tracker_fresh else None, participants,
            block_seconds, self._health_rows(report))
        report.timings['write'] = round(time.perf_counter() - clock, 3)
        log.info('refresh cycle: source=%s epoch=%s nodes=%d new_epochs=%d in %.2f s%s', report.source,
                 report.epoch_id, report.nodes, report.new_epochs_stored, report.duration_s or 0,
                 f' (stale: {report.stale_reason})' if report.stale else '')
        return report

    async def _refresh_node(self, node: AssignedNode, report: CycleReport, *, now: datetime,
                            epoch_info: EpochsLatest | None, tracker: InferenceResponse | None,
                            participants: EpochParticipants | None, current_epoch: int | None,
                            node_api_ok: bool, jail: JailState = (None, None)) -> NodeResult:
        async with self._semaphore:
            api = self.upstreams.node_api
            member_url = _inference_url(node.address, tracker, participants) or node.inference_url
            probe: ProbeResult | None = None
            if member_url:
                probe = await probe_liveness(self.upstreams.probe_client, member_url)
            liveness = advance_liveness(node.liveness, probe.ok, probe.error, now) if probe else node.liveness

            hardware, hardware_epoch = node.hardware, node.hardware_epoch
            summaries: list[EpochPerformanceSummary] = []
            if current_epoch is not None and node_api_ok:
                summaries = await self._recent_summaries(node, current_epoch, now)
            if current_epoch is not None and hardware_epoch != current_epoch and node_api_ok and self._take_budget(1):
                hardware = tuple(await api.hardware_nodes(node.address))  # errors give []: retried next epoch
                hardware_epoch = current_epoch

            view = None
            if report.source == 'tracker':
                registered = True
                if tracker.participant(node.address) is None:  # not in the active set: is it registered at all?
                    registered = await self._registered(node.address)
                details = None
                if hardware:
                    p = tracker.participant(node.address)
                    details = ParticipantDetailsResponse(participant=p, rewards=(), seed=None, warm_keys=(),
                                                         ml_nodes=hardware) if p else None
                view = build_node_view(node.address, TrackerSnapshot(tracker, details, registered), now=now,
                                       liveness=liveness, epoch=epoch_info, node_api_reachable=node_api_ok)
            elif report.source == 'node_api':
                chain = await self._quiet(api.participant(node.address))
                registered = None if chain is _FAILED else chain is not None
                snapshot = NodeApiSnapshot(participants=participants, chain_participant=None if chain is _FAILED else chain,
                                           fetched_at=now, registered=registered, hardware_nodes=hardware,
                                           is_jailed=jail[0], jailed_until=jail[1])
                view = build_node_view(node.address, snapshot, now=now, liveness=liveness, epoch=epoch_info)

            jobs, jobs_at = None, node.jobs_fetched_at
            if tracker is not None and current_epoch is not None and tracker.participant(node.address) is not None \
                    and (jobs_at is None or now - jobs_at >= JOBS_REFRESH) and self._job_budget > 0:
                self._job_budget -= 1
                fetched = await self._quiet(self.upstreams.tracker.participant_inferences(node.address, current_epoch))
                if fetched is not _FAILED:
                    jobs, jobs_at = _recent_jobs(fetched), now
            return NodeResult(node, view, liveness, hardware_epoch, hardware, summaries, node.earnings_scanned_from,
                              jobs, jobs_at)

    async def _jail_states(self, nodes: list[AssignedNode]) -> dict[str, JailState]:
        """(is_jailed, jailed_until) of assigned nodes without the tracker (doc §2.3): the staking validator list
        once per cycle (a few pages), then one signing-info call per jailed node. A node left out is unknown
        (null): the list failed, or no validator with tokens > 0 maps to its address (doc §1.3)."""
        validators = await self._quiet(self.upstreams.node_api.validators())
        if validators is _FAILED:
            log.warning('node_api: staking validators unavailable; jail state unknown this cycle')
            return {}
        by_operator = {v.operator_address: v for v in validators if v.tokens > 0}
        matched: dict[str, StakingValidator] = {}
        for node in nodes:
            try:
                validator = by_operator.get(account_to_valoper(node.address))
            except InvalidAddress:
                continue
            if validator is not None:
                matched[node.address] = validator
        jailed = [address for address, v in matched.items() if v.jailed]
        until = await asyncio.gather(*(self._jailed_until(matched[address]) for address in jailed))
        return {address: (v.jailed, None) for address, v in matched.items()} | \
            {address: (True, jailed_until) for address, jailed_until in zip(jailed, until)}

    async def _jailed_until(self, validator: StakingValidator) -> datetime | None:
        """None when unknown: no usable consensus key, no signing info, or the call failed."""
        try:
            valcons = consensus_address(validator.consensus_pubkey or '')
        except ValueError:
            return None
        info = await self._quiet(self.upstreams.node_api.signing_info(valcons))
        return info.jailed_until if isinstance(info, SigningInfo) else None

    async def _recent_summaries(self, node: AssignedNode, current_epoch: int, now: datetime) -> list[EpochPerformanceSummary]:
        """The last settled epochs we don't have yet, plus unclaimed ones now and then (their claimed flag changes)."""
        latest_settled = current_epoch - 1
        epochs = []
        for epoch in range(latest_settled, max(0, latest_settled - RECENT_EPOCHS), -1):
            stored = node.stored_epochs.get(epoch)
            if (stored is None or (not stored[0] and now - stored[1] >= CLAIM_RECHECK)) and self._take_budget(1):
                epochs.append(epoch)
        results = await asyncio.gather(*(self._quiet(self.upstreams.node_api.epoch_performance_summary(e, node.address))
                                         for e in epochs))
        return [r for r in results if isinstance(r, EpochPerformanceSummary)]

    # ------------------------------------------------------------------------------------------------ backfill
    async def backfill_pending(self, *, budget: int = BACKFILL_CALLS_PER_RUN) -> int:
        """Settled epochs (up to 60 back) of nodes never backfilled; run after a cycle, never during one.

        Returns how many epochs were stored. Nodes beyond the budget wait for the next run.
        """
        async with self._lock:
            current = self.last_report.epoch_id if self.last_report else None
            if current is None:
                return 0
            nodes = [n for n in await asyncio.to_thread(load_assigned_nodes) if n.earnings_scanned_from is None]
            chosen = nodes[:max(1, budget // self.backfill_epochs)]
            results = await asyncio.gather(*(self._backfill_node(node, current) for node in chosen))
            clock = self.last_report.settlement
            stored = await asyncio.to_thread(write_backfill, list(results), clock) if results else 0
            if stored:
                log.info('backfilled %d settled epochs for %d nodes', stored, len(results))
            return stored

    async def _backfill_node(self, node: AssignedNode, current_epoch: int) -> NodeResult:
        async with self._semaphore:
            oldest = max(1, current_epoch - self.backfill_epochs)
            epochs = [e for e in range(current_epoch - 1, oldest - 1, -1) if e not in node.stored_epochs]
            results = await asyncio.gather(*(self._quiet(self.upstreams.node_api.epoch_performance_summary(e, node.address))
                                             for e in epochs))
        complete = not any(r is _FAILED for r in results)  # an epoch that failed to load: try the node again later
        summaries = [r for r in results if isinstance(r, EpochPerformanceSummary)]
        return NodeResult(node, None, None, None, (), summaries, oldest if complete else None)

    def _take_budget(self, calls: int) -> bool:
        if self._call_budget < calls:
            return False
        self._call_budget -= calls
        return True

    async def _registered(self, address: str) -> bool | None:
        chain = await self._quiet(self.upstreams.node_api.participant(address))
        return None if chain is _FAILED else chain is not None

    async def _call(self, report: CycleReport, source: str, call: Awaitable[T]) -> T | None:
        try:
            return await call
        except (UpstreamError, SchemaError) as e:
            # Expected when an upstream misbehaves: WARNING, and the cycle goes on with what it has.
            reason = e.reason if isinstance(e, UpstreamError) else f'malformed payload ({e})'
            report.errors.setdefault(source, reason)
            log.warning('%s unavailable: %s', source, reason)
            return None

    async def _quiet(self, call: Awaitable[T]) -> T | object:
        try:
            return await call
        except (UpstreamError, SchemaError) as e:
            log.debug('per-node call failed: %s', e)
            return _FAILED

    def _health_rows(self, report: CycleReport) -> list[dict[str, Any]]:
        rows = []
        for source, client, url in (('tracker', self.upstreams.tracker, None),
                                    ('node_api', self.upstreams.node_api, self.upstreams.node_api.current_base_url)):
            health = client.health()
            rows.append({'source': source, 'ok': source not in report.errors and health.ok is not False,
                         'error': report.errors.get(source) or health.error, 'latency_ms': health.latency_ms,
                         'base_url': url or getattr(client, 'base_url', None)})
        return rows


_FAILED = object()


def _recent_jobs(response: Any) -> list[dict[str, Any]]:
    """The tracker's newest successful, expired and invalidated inferences as plain JSON, newest first."""
    jobs = []
    for status_group in (response.successful, response.expired, response.invalidated):
        for item in status_group:
            jobs.append({'id': item.inference_id, 'status': item.status, 'model': item.model,
                         'started_at': item.start_block_timestamp.isoformat() if item.start_block_timestamp else None,
                         'block': item.start_block_height, 'prompt_tokens': item.prompt_token_count,
                         'completion_tokens': item.completion_token_count,
                         'validated_by': ', '.join(item.validated_by) or None,
                         'prompt': item.prompt_excerpt, 'response': item.response_excerpt})
    jobs.sort(key=lambda j: j['block'] or 0, reverse=True)
    return jobs[:MAX_RECENT_JOBS]


def _inference_url(address: str, tracker: InferenceResponse | None, participants: EpochParticipants | None) -> str:
    if tracker is not None and (p := tracker.participant(address)) is not None:
        return p.inference_url
    if participants is not None and (m := participants.participant(address)) is not None:
        return m.inference_url
    return ''


def _block_seconds(tracker: InferenceResponse | None, epoch_info: EpochsLatest | None) -> Decimal | None:
    value = getattr(tracker, 'avg_block_time', None) if tracker is not None else None
    return Decimal(str(value)) if value else None


# ---------------------------------------------------------------------------------------------------- database
def load_assigned_nodes() -> list[AssignedNode]:
    with session_scope() as db:
        rows = db.execute(
            select(Node.id, Node.address, NodeStatsCache.view, NodeStatsCache.jobs_fetched_at)
            .join(NodeAssignment, NodeAssignment.node_id == Node.id)
            .outerjoin(NodeStatsCache, NodeStatsCache.node_id == Node.id)
            .where(NodeAssignment.unassigned_at.is_(None)).order_by(Node.id)).all()
        stored: dict[int, dict[int, tuple[bool, datetime]]] = {}
        for node_id, epoch_id, claimed, fetched_at in db.execute(
                select(EarningsHistory.node_id, EarningsHistory.epoch_id, EarningsHistory.claimed,
                       EarningsHistory.fetched_at)):
            stored.setdefault(node_id, {})[epoch_id] = (claimed, fetched_at)
        result = []
        for node_id, address, view, jobs_fetched_at in rows:
            view = view or {}
            internal = view.get('_refresh', {})
            result.append(AssignedNode(
                node_id=node_id, address=address,
                liveness=node_cache.liveness_from_json(view.get('liveness')),
                inference_url=view.get('inference_url') or '',
                hardware_epoch=internal.get('hardware_epoch'),
                hardware=node_cache.hardware_from_json(internal.get('hardware')),
                earnings_scanned_from=internal.get('earnings_scanned_from'),
                stored_epochs=stored.get(node_id, {}), jobs_fetched_at=jobs_fetched_at))
        return result


def write_cycle(report: CycleReport, results: list[NodeResult], epoch_info: EpochsLatest | None,
                tracker: InferenceResponse | None, participants: EpochParticipants | None,
                block_seconds: Decimal | None, health_rows: Iterable[dict[str, Any]]) -> int:
    now = report.finished_at or utcnow()
    with session_scope() as db:
        snapshot = _write_network_snapshot(db, report, epoch_info, tracker, participants, block_seconds, now)
        clock = report.settlement = settlement_clock(snapshot, epoch_info)
        node_ids = [r.node.node_id for r in results]
        # The stored views were decoded once already by load_assigned_nodes; only a node without fresh data
        # reads its old view here, so the JSON columns are loaded only in a cycle that has such nodes.
        keep_old_view = any(r.view is None for r in results)
        query = select(NodeStatsCache).where(NodeStatsCache.node_id.in_(node_ids))
        if not keep_old_view:
            query = query.options(defer(NodeStatsCache.view), defer(NodeStatsCache.reasons))
        caches = {c.node_id: c for c in db.scalars(query)} if node_ids else {}
        new_epochs = 0
        history: list[dict[str, Any]] = []
        for result in results:
            history.append(_write_node(db, report, result, now, caches.get(result.node.node_id)))
            new_epochs += _write_earnings(db, result, clock, now)
        # One multi-row INSERT instead of a thousand ORM objects, plus the status changes it makes (for the feed).
        status_history.append(db, history)
        for row in health_rows:
            _write_health(db, row, now)
        alerts.on_cycle(db, now=now, snapshot=snapshot)  # alerts commit with the data that caused them
    return new_epochs


def write_backfill(results: list[NodeResult], clock: SettlementClock | None) -> int:
    now = utcnow()
    with session_scope() as db:
        stored = 0
        for result in results:
            stored += _write_earnings(db, result, clock, now)
            if result.scanned_from is not None:
                cache = db.get(NodeStatsCache, result.node.node_id)
                if cache is None:
                    cache = NodeStatsCache(node_id=result.node.node_id, view={}, reasons=[], stale=True,
                                           stale_reason=staleness.NOT_REFRESHED)
                    db.add(cache)
                view = dict(cache.view or {})
                view['_refresh'] = {**view.get('_refresh', {}), 'earnings_scanned_from': result.scanned_from}
                cache.view = view
        return stored


@dataclass(frozen=True)
class SettlementClock:
    """Wall time of an epoch's settlement from block heights: epoch N settles at the end of PoC validation in
    epoch N+1 (upstream-apis.md §1.4.5), counted back from a block whose time we know."""

    current_epoch: int
    current_poc_start: int
    validation_blocks: int  # poc_start -> poc_validation_end; 0 when unknown (then up to ~20 min early)
    epoch_length: int
    height: int
    at: datetime  # when `height` was read
    block_seconds: Decimal

    def settlement_block(self, epoch: int) -> int:
        return self.current_poc_start + (epoch + 1 - self.current_epoch) * self.epoch_length + self.validation_blocks

    def settled_at(self, epoch: int) -> datetime:
        blocks_ago = self.height - self.settlement_block(epoch)
        return self.at - timedelta(seconds=float(max(0, blocks_ago) * self.block_seconds))


def settlement_clock(snapshot: NetworkSnapshot, epoch_info: EpochsLatest | None) -> SettlementClock | None:
    """From this cycle's snapshot and, when the node API answered, the exact stage heights of the current epoch."""
    if not (snapshot.epoch_id and snapshot.block_height and snapshot.epoch_length and snapshot.avg_block_seconds):
        return None
    validation_blocks = 0
    if epoch_info is not None and epoch_info.epoch_index == snapshot.epoch_id:
        poc_start = epoch_info.latest_epoch.poc_start_block_height
        stages = epoch_info.epoch_stages
        if stages is not None and stages.poc_start == poc_start:
            validation_blocks = stages.poc_validation_end - stages.poc_start
    elif snapshot.next_poc_start_block:
        poc_start = snapshot.next_poc_start_block - snapshot.epoch_length
    else:
        return None
    return SettlementClock(snapshot.epoch_id, poc_start, validation_blocks, snapshot.epoch_length,
                           snapshot.block_height, snapshot.taken_at,
                           Decimal(snapshot.avg_block_seconds))


def _write_network_snapshot(db: Session, report: CycleReport, epoch_info: EpochsLatest | None,
                            tracker: InferenceResponse | None, participants: EpochParticipants | None,
                            block_seconds: Decimal | None, now: datetime) -> NetworkSnapshot:
    previous = db.scalar(select(NetworkSnapshot).where(NetworkSnapshot.block_height.is_not(None))
                         .order_by(NetworkSnapshot.id.desc()).limit(1))
    height = epoch_info.block_height if epoch_info else (tracker.current_block_height if tracker else None)
    block_time = tracker.current_block_timestamp if tracker else None
    if block_seconds is None and previous is not None and height and previous.block_height and height > previous.block_height:
        # Measured between our own snapshots when no upstream reports an average.
        elapsed = Decimal(str((now - previous.taken_at).total_seconds()))
        block_seconds = (elapsed / (height - previous.block_height)).quantize(Decimal('0.0001'))
    if block_seconds is None and previous is not None:
        block_seconds = previous.avg_block_seconds
    members = tracker.participants if tracker else (participants.participants if participants else ())
    failing = None
    if tracker is not None and members:
        bad = sum(1 for p in members if p.is_jailed is True or p.node_healthy is False)
        failing = (Decimal(bad) / Decimal(len(members))).quantize(Decimal('0.0001'))
    next_poc = epoch_info.epoch_stages.next_poc_start if epoch_info and epoch_info.epoch_stages else \
        (tracker.next_poc_start_block if tracker else None)
    snapshot = NetworkSnapshot(
        taken_at=now, epoch_id=report.epoch_id, phase=epoch_info.phase.value if epoch_info and epoch_info.phase else None,
        block_height=height, block_time=block_time, avg_block_seconds=block_seconds or DEFAULT_BLOCK_SECONDS,
        epoch_length=epoch_info.epoch_length if epoch_info else (previous.epoch_length if previous else None),
        next_poc_start_block=next_poc,
        total_weight=(tracker.total_weight if tracker else participants.total_weight if participants else None),
        participant_count=len(members) if members else None, failing_share=failing, source=report.source,
        stale=report.stale, stale_reason=report.stale_reason)
    db.add(snapshot)
    return snapshot


def _write_node(db: Session, report: CycleReport, result: NodeResult, now: datetime,
                cache: NodeStatsCache | None) -> dict[str, Any]:
    """Update the node's cached view; returns its status-history row for the cycle's bulk insert."""
    node = result.node
    if cache is None:
        cache = NodeStatsCache(node_id=node.node_id, view={}, reasons=[])
        db.add(cache)
    internal = {'hardware_epoch': result.hardware_epoch, 'hardware': node_cache.hardware_to_json(result.hardware),
                'earnings_scanned_from': result.scanned_from}
    if result.recent_jobs is not None:
        cache.recent_jobs = result.recent_jobs
        cache.jobs_fetched_at = result.jobs_fetched_at
    if result.view is None:
        # No fresh data: keep the last-known view, mark it stale, and record "unknown" (never "down").
        view = dict(cache.view or {})
        view['_refresh'] = internal
        if result.liveness is not None:
            view['liveness'] = node_cache.to_jsonable(result.liveness)
        cache.view = view
        cache.stale = True
        cache.stale_reason = report.stale_reason
        cache.fetched_at = cache.fetched_at or None
        cache.consecutive_probe_failures = result.liveness.consecutive_failures if result.liveness else 0
        return {'node_id': node.node_id, 'observed_at': now, 'status': 'unknown',
                'reasons': [{'code': 'no_fresh_data', 'params': {}}], 'epoch_id': report.epoch_id,
                'inference_count': None, 'missed_requests': None, 'source': None}
    view = result.view
    data = node_cache.view_to_json(view)
    data['_refresh'] = internal
    reasons = [node_cache.to_jsonable(r) for r in view.reasons]
    cache.status = view.status.value
    cache.reasons = reasons
    cache.view = data
    cache.epoch_id = view.epoch_id
    cache.weight = view.weight
    cache.inference_count = view.counters.inference_count
    cache.missed_requests = view.counters.missed_requests
    cache.epoch_work_ngonka = view.counters.earned_coins
    cache.consecutive_probe_failures = view.liveness.consecutive_failures if view.liveness else 0
    cache.source = view.source
    cache.data_as_of = view.as_of
    cache.fetched_at = now
    cache.stale = False
    cache.stale_reason = None
    return {'node_id': node.node_id, 'observed_at': now, 'status': view.status.value, 'reasons': reasons,
            'epoch_id': view.epoch_id, 'inference_count': view.counters.inference_count,
            'missed_requests': view.counters.missed_requests, 'source': view.source}


def _write_earnings(db: Session, result: NodeResult, clock: SettlementClock | None, now: datetime) -> int:
    """Idempotent upsert: a settled epoch is written once; afterwards only its claimed flag may change."""
    new = 0
    for summary in result.summaries:
        row = None if summary.epoch_index not in result.node.stored_epochs else db.scalar(
            select(EarningsHistory).where(EarningsHistory.node_id == result.node.node_id,
                                          EarningsHistory.epoch_id == summary.epoch_index))
        if row is not None:
            row.fetched_at = now
            if summary.claimed and not row.claimed:
                row.claimed = True
            continue
        # Without block heights the first-seen time is all we know (only before the first usable snapshot).
        settled_at = clock.settled_at(summary.epoch_index) if clock is not None else now
        db.add(EarningsHistory(node_id=result.node.node_id, epoch_id=summary.epoch_index,
                               reward_ngonka=summary.rewarded_coins, work_ngonka=summary.earned_coins,
                               claimed=summary.claimed, inference_count=summary.inference_count,
                               missed_requests=summary.missed_requests, settled_at=settled_at, source='node_api',
                               fetched_at=now))
        new += 1
    return new


def _write_health(db: Session, row: dict[str, Any], now: datetime) -> None:
    health = db.get(UpstreamHealth, row['source'])
    if health is None:
        health = UpstreamHealth(source=row['source'], consecutive_failures=0)
        db.add(health)
    health.base_url = row.get('base_url')
    if row['ok']:
        health.last_success_at = now
        health.consecutive_failures = 0
        health.latency_ms = int(row['latency_ms']) if row.get('latency_ms') is not None else health.latency_ms
    else:
        health.last_error_at = now
        health.last_error = (row.get('error') or 'unknown error')[:500]
        health.consecutive_failures = (health.consecutive_failures or 0) + 1
