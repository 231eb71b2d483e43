"""Deterministic customer data written straight into the tables the refresh job fills (for page and service tests
and the dashboard benchmark): users, nodes, current status cache, status history, settled epochs, a network
snapshot and exchange rates."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from minegnk.db.engine import session_scope
from minegnk.db.models import EarningsHistory, NetworkSnapshot, Node, NodeAssignment, NodeStatsCache, User
from minegnk.services import accounts, status_history
from minegnk.sim.bech32 import encode

PASSWORD = 'correct horse battery'
EPOCH = 105
EPOCH_LENGTH = 15_391
BLOCK_SECONDS = Decimal('6.0')


def address(seed: str) -> str:
    """A valid gonka1… bech32 address derived from ``seed``."""
    return encode('gonka', hashlib.sha256(seed.encode()).digest()[:20])


@dataclass
class NodeSpec:
    label: str | None
    status: str = 'healthy'
    reasons: list[dict[str, Any]] = field(default_factory=list)
    gpu_type: str | None = 'H100'
    gpu_count: int | None = 8
    weight: int = 5_000
    inference_count: int = 100
    missed_requests: int = 2
    epoch_work_ngonka: int = 0
    models: list[str] = field(default_factory=lambda: ['Qwen/Qwen3-32B-FP8'])
    earnings: list[tuple[int, int, int, bool, datetime]] = field(default_factory=list)  # epoch, reward, work, claimed, at
    seed: str | None = None


def make_user(email: str, *, admin: bool = False, currency: str = 'USD', timezone: str | None = None) -> int:
    with session_scope() as db:
        if admin:
            user, _ = accounts.ensure_admin(db, email, PASSWORD)
        else:
            user = accounts.register(db, email, PASSWORD)
        user.currency = currency
        user.timezone = timezone
        db.flush()
        return user.id


def make_user_fast(db, email: str, currency: str = 'USD') -> User:
    """Without hashing a password (for bulk data); such a user cannot log in."""
    user = User(email=email, password_hash='x', currency=currency)
    db.add(user)
    db.flush()
    return user


def view_for(spec: NodeSpec, addr: str, now: datetime, network_weight: int) -> dict[str, Any]:
    total = spec.inference_count + spec.missed_requests
    return {
        'address': addr, 'source': 'tracker', 'as_of': now.isoformat(), 'data_age_s': 5, 'epoch_id': EPOCH,
        'status': spec.status, 'reasons': spec.reasons, 'notes': [], 'registered': True, 'in_set': spec.status != 'inactive',
        'chain_status': 'ACTIVE', 'is_jailed': spec.status == 'jailed', 'jailed_until': None, 'ready_to_unjail': False,
        'weight': spec.weight, 'network_weight': network_weight,
        'weight_share': str((Decimal(spec.weight) / Decimal(network_weight)).quantize(Decimal('0.000001'))),
        'models': spec.models,
        'ml_nodes': [{'node_id': 'node1', 'poc_weight': spec.weight, 'status': 'INFERENCE', 'models': spec.models,
                      'hardware': [{'type': f'NVIDIA {spec.gpu_type}', 'count': spec.gpu_count}], 'host': '10.0.0.1',
                      'port': '8081'}],
        'inference_url': f'http://{addr[:12]}.example:8000',
        'counters': {'inference_count': spec.inference_count, 'missed_requests': spec.missed_requests,
                     'earned_coins': spec.epoch_work_ngonka, 'rewarded_coins': 0, 'burned_coins': 0,
                     'validated_inferences': 50, 'invalidated_inferences': 0},
        'missed_rate': str((Decimal(spec.missed_requests) / Decimal(total)).quantize(Decimal('0.0001'))) if total >= 5 else None,
        'invalidation_rate': '0.0000',
        'missed_test': {'passed': spec.status != 'unhealthy', 'total': total, 'critical': '16.00', 'missed': spec.missed_requests},
        'invalidation_test': {'passed': True, 'total': 50, 'critical': '10.00', 'missed': 0},
        'confirmation_poc_ratio': '1.0', 'weight_to_confirm': spec.weight, 'consensus_key_mismatch': False,
        'liveness': {'consecutive_failures': 0, 'last_ok': True, 'last_error': None, 'checked_at': now.isoformat()},
        'format': 1,
    }


def seed_network(db, now: datetime, *, failing_share: str = '0.0300', stale: bool = False,
                 stale_reason: str | None = None, network_weight: int = 1_000_000) -> None:
    db.add(NetworkSnapshot(taken_at=now, epoch_id=EPOCH, phase='Inference', block_height=1_627_464,
                           avg_block_seconds=BLOCK_SECONDS, epoch_length=EPOCH_LENGTH,
                           next_poc_start_block=1_627_464 + 600, total_weight=network_weight, participant_count=60,
                           failing_share=Decimal(failing_share), source='tracker', stale=stale,
                           stale_reason=stale_reason))


def seed_nodes(db, user_id: int, specs: list[NodeSpec], now: datetime, *, network_weight: int = 1_000_000,
               history: list[tuple[datetime, str]] | None = None, assigned_at: datetime | None = None) -> dict[str, int]:
    """Nodes assigned to ``user_id`` with their cache, earnings and (optionally) the same status history each."""
    ids = {}
    for i, spec in enumerate(specs):
        addr = address(spec.seed or f'{user_id}-{i}-{spec.label}')
        node = Node(address=addr, label=spec.label, gpu_type=spec.gpu_type, gpu_count=spec.gpu_count,
                    region='eu-west', gcore_instance_id=f'gc-{i}')
        db.add(node)
        db.flush()
        db.add(NodeAssignment(node_id=node.id, user_id=user_id, assigned_at=assigned_at or now - timedelta(days=120)))
        db.add(NodeStatsCache(node_id=node.id, status=spec.status, reasons=spec.reasons,
                              view=view_for(spec, addr, now, network_weight), epoch_id=EPOCH, weight=spec.weight,
                              inference_count=spec.inference_count, missed_requests=spec.missed_requests,
                              epoch_work_ngonka=spec.epoch_work_ngonka, consecutive_probe_failures=0, source='tracker',
                              data_as_of=now, fetched_at=now, stale=False))
        for epoch, reward, work, claimed, at in spec.earnings:
            db.add(EarningsHistory(node_id=node.id, epoch_id=epoch, reward_ngonka=reward, work_ngonka=work,
                                   claimed=claimed, inference_count=90, missed_requests=1, settled_at=at,
                                   source='node_api', fetched_at=now))
        if history:
            status_history.append(db, [history_row(node.id, at, status) for at, status in history])
        ids[addr] = node.id
    return ids


def history_row(node_id: int, at: datetime, status: str, reasons: list[dict[str, Any]] | None = None,
                **extra: Any) -> dict[str, Any]:
    """One status-history row as the refresh job writes it (for ``status_history.append``)."""
    return {'node_id': node_id, 'observed_at': at, 'status': status, 'reasons': reasons or [], 'epoch_id': EPOCH,
            'inference_count': 10, 'missed_requests': 0, 'source': 'tracker', **extra}


def record_history(node_id: int, points: list[tuple[datetime, str]]) -> None:
    """Status history for one node, appended with its status changes the way the refresh job does."""
    with session_scope() as db:
        status_history.append(db, [history_row(node_id, at, status) for at, status in points])


def earnings_rows(base: int, now: datetime, days: int = 90) -> list[tuple[int, int, int, bool, datetime]]:
    """One settled epoch per day going back ``days`` days (epoch EPOCH-1 settled 12 h ago, unclaimed)."""
    rows = []
    for k in range(days):
        epoch = EPOCH - 1 - k
        rows.append((epoch, base + 1_000_003 * k, 7_001 * k, k > 0, now - timedelta(hours=12 + 24 * k)))
    return rows
