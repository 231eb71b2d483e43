"""Portal status of a node, and the one normalised per-node view the UI reads (doc §4).

Statuses, evaluated in order, first match wins:
  1 unknown    no fresh data from any source, or the chain never registered the address
  2 inactive   registered but not in the current epoch's active set
  3 jailed     is_jailed is true
  4 offline    in set, liveness probe failed on >= 2 consecutive checks (anti-flap)
  5 unhealthy  reachable but: chain status INVALID/INACTIVE, missed test or invalidation test failed,
               confirmation ratio < 0.5, consensus key mismatch, an ML node FAILED/STOPPED
  6 healthy    everything else
A null input means "not known" and never makes a status worse. Reasons are machine-readable codes with JSON-safe
params (str/int/float/bool/None) so the UI can translate them; this module produces no sentences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from minegnk.services.missed_test import MissedTestResult, invalidation_test, missed_test
from minegnk.upstream.schemas import (
    ChainParticipant,
    EpochCounters,
    EpochParticipants,
    EpochPhase,
    EpochsLatest,
    Hardware,
    HardwareNode,
    HardwareNodeStatus,
    InferenceResponse,
    ParticipantDetailsResponse,
    ParticipantStatus,
)

# Tracker snapshot older than this, with the node API also unreachable -> unknown (doc §4 rule 1: "~10 min").
STALE_DATA_AFTER_S = 600
# Tracker health batch older than this is ignored (doc §4: 3 × 60 s poll + a long sequential pass).
STALE_HEALTH_AFTER_S = 300
# Anti-flap: one failed probe is a blip; two in a row is offline.
OFFLINE_AFTER_FAILURES = 2
# Below 50 % confirmed weight the chain marks the host INACTIVE ([T+] task-20); the tracker flags it red.
MIN_CONFIRMATION_RATIO = Decimal("0.5")
# Rates on fewer requests than this are noise (right after settlement all counters are 0); same floor as the test.
MIN_TOTAL_FOR_RATES = 5
# "No inferences" is only worth a note once the inference phase has run ~1 h (600 blocks × ~6 s).
NO_INFERENCE_GRACE_BLOCKS = 600

GOOD_CHAIN_STATUSES = frozenset({ParticipantStatus.ACTIVE, ParticipantStatus.RAMPING})
BAD_CHAIN_STATUSES = frozenset({ParticipantStatus.INVALID, ParticipantStatus.INACTIVE})
DOWN_ML_NODE_STATUSES = frozenset({HardwareNodeStatus.FAILED, HardwareNodeStatus.STOPPED})


class PortalStatus(StrEnum):
    UNKNOWN = "unknown"
    INACTIVE = "inactive"
    JAILED = "jailed"
    OFFLINE = "offline"
    UNHEALTHY = "unhealthy"
    HEALTHY = "healthy"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatusInputs:
    """Everything the rules look at. Defaults are "not known"."""

    registered: bool | None = None  # False: chain participant lookup answered 404
    in_set: bool | None = None  # member of the current epoch's active set
    tracker_data_age_s: float | None = None
    node_api_reachable: bool | None = None
    chain_status: ParticipantStatus | None = None
    is_jailed: bool | None = None
    jailed_until: datetime | None = None
    ready_to_unjail: bool | None = None
    consecutive_probe_failures: int = 0
    last_probe_ok: bool | None = None
    last_probe_error: str | None = None
    inference_count: int | None = None
    missed_requests: int | None = None
    validated_inferences: int | None = None
    invalidated_inferences: int | None = None
    confirmation_poc_ratio: Decimal | None = None
    consensus_key_mismatch: bool | None = None
    ml_node_statuses: Mapping[str, HardwareNodeStatus | None] = field(default_factory=dict)
    phase: EpochPhase | None = None
    inference_phase_blocks: int | None = None  # blocks since the inference phase began, when known
    weight: int | None = None


@dataclass(frozen=True, slots=True)
class StatusResult:
    status: PortalStatus
    reasons: tuple[Reason, ...]  # why the status is what it is
    notes: tuple[Reason, ...] = ()  # informational, never changed the status (ramping, idle, unknown sub-fields)


def _json_number(value: Decimal, places: int) -> int | float:
    """Non-money figures for reason params: int when whole, else a short float (JSON-safe for storage)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def compute_rate(part: int | None, total: int | None) -> Decimal | None:
    """part / total to 4 dp, or None when unknown or when total is too small to mean anything."""
    if part is None or total is None or total < MIN_TOTAL_FOR_RATES:
        return None
    return (Decimal(part) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


# Pure functions of two counts with immutable results, asked up to five times per node per refresh cycle (exact
# Fraction arithmetic): remembered by their counts.
_missed_test = lru_cache(maxsize=8192)(missed_test)
_invalidation_test = lru_cache(maxsize=8192)(invalidation_test)


def _counters_missed_test(inputs: StatusInputs) -> MissedTestResult | None:
    if inputs.inference_count is None or inputs.missed_requests is None:
        return None
    return _missed_test(inputs.missed_requests, inputs.inference_count)


def _counters_invalidation_test(inputs: StatusInputs) -> MissedTestResult | None:
    if inputs.validated_inferences is None or inputs.invalidated_inferences is None:
        return None
    return _invalidation_test(inputs.invalidated_inferences, inputs.validated_inferences)


def _has_fresh_data(inputs: StatusInputs) -> bool:
    tracker_fresh = inputs.tracker_data_age_s is not None and inputs.tracker_data_age_s <= STALE_DATA_AFTER_S
    return tracker_fresh or inputs.node_api_reachable is True


def _unhealthy_reasons(inputs: StatusInputs) -> list[Reason]:
    reasons: list[Reason] = []
    if inputs.chain_status in BAD_CHAIN_STATUSES:
        reasons.append(Reason("chain_status_bad", {"status": str(inputs.chain_status)}))
    missed = _counters_missed_test(inputs)
    if missed is not None and not missed.passed:
        assert missed.critical is not None
        reasons.append(
            Reason(
                "missed_test_failed",
                {"missed": missed.missed, "total": missed.total, "critical": _json_number(missed.critical, 2)},
            )
        )
    invalid = _counters_invalidation_test(inputs)
    if invalid is not None and not invalid.passed:
        assert invalid.critical is not None
        reasons.append(
            Reason(
                "invalidation_test_failed",
                {"invalidated": invalid.missed, "total": invalid.total, "critical": _json_number(invalid.critical, 2)},
            )
        )
    ratio = inputs.confirmation_poc_ratio
    if ratio is not None and ratio < MIN_CONFIRMATION_RATIO:
        reasons.append(
            Reason(
                "low_confirmation_ratio",
                {"ratio": _json_number(ratio, 4), "threshold": _json_number(MIN_CONFIRMATION_RATIO, 2)},
            )
        )
    if inputs.consensus_key_mismatch is True:
        reasons.append(Reason("consensus_key_mismatch"))
    for node_id, node_status in sorted(inputs.ml_node_statuses.items()):
        if node_status in DOWN_ML_NODE_STATUSES:
            reasons.append(Reason("ml_node_down", {"node_id": node_id, "status": str(node_status)}))
    return reasons


def _notes(inputs: StatusInputs) -> list[Reason]:
    notes: list[Reason] = []
    if inputs.is_jailed is None:
        notes.append(Reason("jail_state_unknown"))
    if inputs.last_probe_ok is None and inputs.consecutive_probe_failures == 0:
        notes.append(Reason("health_unknown"))
    elif 0 < inputs.consecutive_probe_failures < OFFLINE_AFTER_FAILURES:
        notes.append(Reason("probe_failed_once", {"error": inputs.last_probe_error}))
    if inputs.chain_status is None or inputs.chain_status not in GOOD_CHAIN_STATUSES | BAD_CHAIN_STATUSES:
        notes.append(Reason("chain_status_unknown", {"status": str(inputs.chain_status) if inputs.chain_status else None}))
    if inputs.chain_status == ParticipantStatus.RAMPING:
        notes.append(Reason("ramping"))
    if inputs.weight == 0:
        notes.append(Reason("idle_zero_weight"))
    if inputs.phase is not None and inputs.phase not in (EpochPhase.INFERENCE, EpochPhase.UNRECOGNIZED):
        notes.append(Reason("poc_phase", {"phase": str(inputs.phase)}))  # counters stall: not a fault
    elif (
        inputs.phase == EpochPhase.INFERENCE
        and inputs.inference_phase_blocks is not None
        and inputs.inference_phase_blocks >= NO_INFERENCE_GRACE_BLOCKS
        and (inputs.weight or 0) > 0
        and inputs.inference_count == 0
        and inputs.missed_requests == 0
    ):
        notes.append(Reason("no_inferences", {"blocks": inputs.inference_phase_blocks}))
    missed = _counters_missed_test(inputs)
    if missed is not None and not missed.judged:
        notes.append(Reason("too_few_requests", {"total": missed.total, "minimum": MIN_TOTAL_FOR_RATES}))
    return notes


def derive_status(inputs: StatusInputs) -> StatusResult:
    # 1. unknown
    if inputs.registered is False and inputs.in_set is not True:
        # An address in the active set is registered by definition; a 404 then is a lagging host, not the truth.
        return StatusResult(PortalStatus.UNKNOWN, (Reason("not_registered"),))
    if not _has_fresh_data(inputs):
        age = None if inputs.tracker_data_age_s is None else int(inputs.tracker_data_age_s)
        return StatusResult(PortalStatus.UNKNOWN, (Reason("no_fresh_data", {"tracker_age_s": age}),))
    if inputs.in_set is None:
        return StatusResult(PortalStatus.UNKNOWN, (Reason("membership_unknown"),))
    # 2. inactive
    if inputs.in_set is False:
        return StatusResult(PortalStatus.INACTIVE, (Reason("not_in_active_set"),))
    notes = tuple(_notes(inputs))
    # 3. jailed
    if inputs.is_jailed is True:
        confirmation_failed = inputs.chain_status == ParticipantStatus.INACTIVE or (
            inputs.confirmation_poc_ratio is not None and inputs.confirmation_poc_ratio < MIN_CONFIRMATION_RATIO
        )
        params = {
            "jailed_until": inputs.jailed_until.isoformat() if inputs.jailed_until else None,
            "ready_to_unjail": inputs.ready_to_unjail,
            # A failed confirmation PoC forfeits the epoch reward; a consensus jail mostly does not (doc §4).
            "cause": "confirmation_poc" if confirmation_failed else "consensus",
        }
        reasons = [Reason("jailed", params)]
        if inputs.ready_to_unjail:
            reasons.append(Reason("unjail_tx_needed"))
        return StatusResult(PortalStatus.JAILED, tuple(reasons), notes)
    # 4. offline
    if inputs.consecutive_probe_failures >= OFFLINE_AFTER_FAILURES:
        params = {"consecutive_failures": inputs.consecutive_probe_failures, "error": inputs.last_probe_error}
        return StatusResult(PortalStatus.OFFLINE, (Reason("probe_failed", params),), notes)
    # 5. unhealthy
    unhealthy = _unhealthy_reasons(inputs)
    if unhealthy:
        return StatusResult(PortalStatus.UNHEALTHY, tuple(unhealthy), notes)
    # 6. healthy
    return StatusResult(PortalStatus.HEALTHY, (), notes)


# ================================================================================================= liveness


@dataclass(frozen=True, slots=True)
class LivenessState:
    """Probe history the refresh job carries between runs (anti-flap needs consecutive results)."""

    consecutive_failures: int = 0
    last_ok: bool | None = None
    last_error: str | None = None
    checked_at: datetime | None = None


def advance_liveness(
    previous: LivenessState | None, ok: bool, error: str | None, checked_at: datetime
) -> LivenessState:
    failures = 0 if ok else (previous.consecutive_failures if previous else 0) + 1
    return LivenessState(failures, ok, None if ok else error, checked_at)


# ================================================================================================= node view


@dataclass(frozen=True, slots=True)
class MlNodeView:
    node_id: str
    poc_weight: int | None
    status: HardwareNodeStatus | None  # None: not known from this source
    models: tuple[str, ...] = ()
    hardware: tuple[Hardware, ...] = ()
    host: str = ""
    port: str = ""


@dataclass(frozen=True, slots=True)
class NodeView:
    """One normalised view per node address, identical in shape whichever upstream produced it."""

    address: str
    source: Literal["tracker", "node_api"]
    as_of: datetime | None  # when the upstream produced the data
    data_age_s: float | None
    epoch_id: int | None
    status: PortalStatus
    reasons: tuple[Reason, ...]
    notes: tuple[Reason, ...]
    registered: bool | None
    in_set: bool
    chain_status: ParticipantStatus | None
    is_jailed: bool | None
    jailed_until: datetime | None
    ready_to_unjail: bool | None
    weight: int
    network_weight: int
    weight_share: Decimal | None  # 0..1, 6 dp
    models: tuple[str, ...]
    ml_nodes: tuple[MlNodeView, ...]
    inference_url: str
    counters: EpochCounters  # epoch-to-date; earned_coins in ngonka
    missed_rate: Decimal | None
    invalidation_rate: Decimal | None
    missed_test: MissedTestResult
    invalidation_test: MissedTestResult
    confirmation_poc_ratio: Decimal | None
    weight_to_confirm: int | None
    consensus_key_mismatch: bool | None
    liveness: LivenessState | None


@dataclass(frozen=True, slots=True)
class TrackerSnapshot:
    inference: InferenceResponse
    details: ParticipantDetailsResponse | None = None  # gives ML node statuses when fetched
    registered: bool | None = None  # from a chain participant lookup, when the refresh job made one


@dataclass(frozen=True, slots=True)
class NodeApiSnapshot:
    participants: EpochParticipants
    chain_participant: ChainParticipant | None
    fetched_at: datetime
    registered: bool | None = None  # False when the participant lookup answered 404
    hardware_nodes: Sequence[HardwareNode] = ()
    is_jailed: bool | None = None  # from staking validators, when the refresh job looked it up
    jailed_until: datetime | None = None


def _age_s(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


def _share(weight: int, total: int) -> Decimal | None:
    if total <= 0:
        return None
    return (Decimal(weight) / Decimal(total)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


def _inference_phase_blocks(epoch: EpochsLatest | None) -> int | None:
    if epoch is None or epoch.phase != EpochPhase.INFERENCE or epoch.epoch_stages is None:
        return None
    start = epoch.epoch_stages.set_new_validators
    return epoch.block_height - start if start and epoch.block_height >= start else None


def _merge_ml_nodes(weights: Mapping[str, int], hardware: Sequence[HardwareNode]) -> tuple[MlNodeView, ...]:
    """Epoch PoC weights (by node_id) merged with chain hardware nodes (by local_id), like the tracker does."""
    by_id = {node.local_id: node for node in hardware}
    views = []
    for node_id in list(weights) + [n for n in by_id if n not in weights]:
        hw = by_id.get(node_id)
        poc_weight = weights.get(node_id, hw.poc_weight if hw else None)
        if hw is None:
            views.append(MlNodeView(node_id=node_id, poc_weight=poc_weight, status=None))
        else:
            views.append(
                MlNodeView(node_id, poc_weight, hw.status, hw.models, hw.hardware, hw.host, hw.port)
            )
    return tuple(views)


def _tracker_liveness(node_healthy: bool | None, checked_at: datetime | None, now: datetime) -> LivenessState | None:
    """Fallback when we have no own probe history: a fresh tracker verdict counts as one check, never two."""
    age = _age_s(now, checked_at)
    if node_healthy is None or age is None or age > STALE_HEALTH_AFTER_S:
        return None
    return LivenessState(0 if node_healthy else 1, node_healthy, None if node_healthy else "tracker_health_false", checked_at)


def _view(
    *,
    address: str,
    source: Literal["tracker", "node_api"],
    as_of: datetime | None,
    now: datetime,
    epoch_id: int | None,
    inputs: StatusInputs,
    network_weight: int,
    models: tuple[str, ...],
    ml_nodes: tuple[MlNodeView, ...],
    inference_url: str,
    counters: EpochCounters,
    weight_to_confirm: int | None,
    liveness: LivenessState | None,
) -> NodeView:
    result = derive_status(inputs)
    return NodeView(
        address=address,
        source=source,
        as_of=as_of,
        data_age_s=_age_s(now, as_of),
        epoch_id=epoch_id,
        status=result.status,
        reasons=result.reasons,
        notes=result.notes,
        registered=inputs.registered,
        in_set=bool(inputs.in_set),
        chain_status=inputs.chain_status,
        is_jailed=inputs.is_jailed,
        jailed_until=inputs.jailed_until,
        ready_to_unjail=inputs.ready_to_unjail,
        weight=inputs.weight or 0,
        network_weight=network_weight,
        weight_share=_share(inputs.weight or 0, network_weight),
        models=models,
        ml_nodes=ml_nodes,
        inference_url=inference_url,
        counters=counters,
        missed_rate=compute_rate(counters.missed_requests, counters.missed_requests + counters.inference_count),
        invalidation_rate=compute_rate(
            counters.invalidated_inferences, counters.validated_inferences + counters.invalidated_inferences
        ),
        missed_test=_missed_test(counters.missed_requests, counters.inference_count),
        invalidation_test=_invalidation_test(counters.invalidated_inferences, counters.validated_inferences),
        confirmation_poc_ratio=inputs.confirmation_poc_ratio,
        weight_to_confirm=weight_to_confirm,
        consensus_key_mismatch=inputs.consensus_key_mismatch,
        liveness=liveness,
    )


def build_node_view(
    address: str,
    snapshot: TrackerSnapshot | NodeApiSnapshot,
    *,
    now: datetime,
    liveness: LivenessState | None = None,
    epoch: EpochsLatest | None = None,
    node_api_reachable: bool | None = None,
) -> NodeView:
    """Build the view for `address` from either source. `liveness` is our own probe history (preferred);
    `epoch` supplies the phase; `node_api_reachable` matters only for the tracker path's freshness rule."""
    phase = epoch.phase if epoch else None
    phase_blocks = _inference_phase_blocks(epoch)
    if isinstance(snapshot, TrackerSnapshot):
        return _from_tracker(address, snapshot, now, liveness, phase, phase_blocks, node_api_reachable)
    return _from_node_api(address, snapshot, now, liveness, phase, phase_blocks)


def _from_tracker(
    address: str,
    snap: TrackerSnapshot,
    now: datetime,
    liveness: LivenessState | None,
    phase: EpochPhase | None,
    phase_blocks: int | None,
    node_api_reachable: bool | None,
) -> NodeView:
    inference = snap.inference
    details_participant = snap.details.participant if snap.details else None
    p = inference.participant(address) or details_participant
    in_set = inference.participant(address) is not None
    if liveness is None and p is not None:
        liveness = _tracker_liveness(p.node_healthy, p.node_health_checked_at, now)
    hardware = snap.details.ml_nodes if snap.details else ()
    ml_nodes = _merge_ml_nodes((p.ml_nodes_map or {}) if p else {}, hardware)
    counters = p.stats if p else EpochCounters()
    inputs = StatusInputs(
        registered=True if in_set else snap.registered,
        in_set=in_set,
        tracker_data_age_s=_age_s(now, inference.cached_at),
        node_api_reachable=node_api_reachable,
        # participant_status is refreshed from the chain participant record; `status` is read at `height`.
        chain_status=(p.participant_status or p.status) if p else None,
        is_jailed=p.is_jailed if p else None,
        jailed_until=p.jailed_until if p else None,
        ready_to_unjail=p.ready_to_unjail if p else None,
        consecutive_probe_failures=liveness.consecutive_failures if liveness else 0,
        last_probe_ok=liveness.last_ok if liveness else None,
        last_probe_error=liveness.last_error if liveness else None,
        inference_count=counters.inference_count if p else None,
        missed_requests=counters.missed_requests if p else None,
        validated_inferences=counters.validated_inferences if p else None,
        invalidated_inferences=counters.invalidated_inferences if p else None,
        confirmation_poc_ratio=p.confirmation_poc_ratio if p else None,
        consensus_key_mismatch=p.consensus_key_mismatch if p else None,
        ml_node_statuses={n.node_id: n.status for n in ml_nodes if n.status is not None},
        phase=phase,
        inference_phase_blocks=phase_blocks,
        weight=p.weight if p else 0,
    )
    return _view(
        address=address,
        source="tracker",
        as_of=inference.cached_at,
        now=now,
        epoch_id=inference.epoch_id,
        inputs=inputs,
        network_weight=inference.total_weight,
        models=p.models if p else (),
        ml_nodes=ml_nodes,
        inference_url=p.inference_url if p else "",
        counters=counters,
        weight_to_confirm=p.weight_to_confirm if p else None,
        liveness=liveness,
    )


def _from_node_api(
    address: str,
    snap: NodeApiSnapshot,
    now: datetime,
    liveness: LivenessState | None,
    phase: EpochPhase | None,
    phase_blocks: int | None,
) -> NodeView:
    member = snap.participants.participant(address)
    chain = snap.chain_participant
    ml_nodes = _merge_ml_nodes(member.ml_nodes_map if member else {}, snap.hardware_nodes)
    counters = chain.stats if chain else EpochCounters()
    registered = True if chain is not None or member is not None else snap.registered
    inputs = StatusInputs(
        registered=registered,
        in_set=member is not None,
        tracker_data_age_s=None,
        node_api_reachable=True,  # this snapshot is node-API data, so it answered
        chain_status=chain.status if chain else None,
        is_jailed=snap.is_jailed,
        jailed_until=snap.jailed_until,
        ready_to_unjail=(snap.jailed_until <= now) if snap.is_jailed and snap.jailed_until else (
            False if snap.is_jailed is False else None
        ),
        consecutive_probe_failures=liveness.consecutive_failures if liveness else 0,
        last_probe_ok=liveness.last_ok if liveness else None,
        last_probe_error=liveness.last_error if liveness else None,
        inference_count=counters.inference_count if chain else None,
        missed_requests=counters.missed_requests if chain else None,
        validated_inferences=counters.validated_inferences if chain else None,
        invalidated_inferences=counters.invalidated_inferences if chain else None,
        confirmation_poc_ratio=None,  # needs epoch_group_data; not part of this path yet
        consensus_key_mismatch=None,
        ml_node_statuses={n.node_id: n.status for n in ml_nodes if n.status is not None},
        phase=phase,
        inference_phase_blocks=phase_blocks,
        weight=member.weight if member else 0,
    )
    inference_url = (member.inference_url if member else "") or (chain.inference_url if chain else "")
    return _view(
        address=address,
        source="node_api",
        as_of=snap.fetched_at,
        now=now,
        epoch_id=snap.participants.epoch_id,
        inputs=inputs,
        network_weight=snap.participants.total_weight,
        models=member.models if member else (),
        ml_nodes=ml_nodes,
        inference_url=inference_url,
        counters=counters,
        weight_to_confirm=member.weight_to_confirm if member else None,
        liveness=liveness,
    )
