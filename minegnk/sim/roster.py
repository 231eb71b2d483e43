"""The simulated network's participants: the 26 recorded epoch-56 hosts plus deterministic synthetic ones."""

from __future__ import annotations

import base64
import hashlib
import math
import random
from dataclasses import dataclass, field

from minegnk.sim import bech32
from minegnk.sim.seed_data import SeedData

MODELS = (
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
    "Qwen/Qwen3-32B-FP8",
    "Qwen/QwQ-32B",
    "Qwen/Qwen2.5-7B-Instruct",
)
GPU_TYPES = ("NVIDIA H100 80GB HBM3 | 80GB", "NVIDIA H200 | 141GB", "NVIDIA A100-SXM4-80GB | 80GB")

# Demo customer: one address per portal status; their state holds steady unless changed by an incident.
SCENARIO_KEYS = (
    "healthy",
    "healthy_ramping",
    "jailed",
    "offline",
    "unhealthy_missed",
    "unhealthy_ml_failed",
    "inactive",
    "unclaimed_reward",
)
HIGH_MISS_PPM = 450_000  # 45 % missed: fails the missed-request test at any meaningful total


@dataclass
class MLNode:
    node_id: str
    poc_weight: int
    timeslot_allocation: tuple[bool, bool]
    host: str
    port: str
    hardware: list[dict]


@dataclass
class Counters:
    """Epoch-to-date counters; integers, coins in ngonka."""

    inference_count: int = 0
    missed_requests: int = 0
    earned_coins: int = 0
    validated_inferences: int = 0
    invalidated_inferences: int = 0


@dataclass
class Participant:
    index: int
    address: str
    real: bool  # one of the recorded epoch-56 hosts
    validator_key: str
    worker_public_key: str
    weight: int
    models: list[str]
    ml_groups: list[list[MLNode]]  # ml_groups[i] serves models[i]
    has_validator: bool  # False -> tracker is_jailed/ready_to_unjail/validator_consensus_key are null
    moniker: str | None
    identity: str | None
    website: str | None
    first_epoch: int  # first epoch it was in the active set
    join_height: int
    # request model: assigned requests per Inference-phase block ×1000, fee per served inference
    rate_milli: int
    price_ngonka: int
    base_miss_ppm: int
    invalid_ppm: int
    # mutable state (incidents)
    miss_ppm: int = 0
    chain_status: str = "ACTIVE"
    in_active_set: bool = True
    online: bool = True
    offline_mode: str = "503"  # or "hang"
    jailed: bool = False
    jailed_until_height: int | None = None
    failed_ml_nodes: set[str] = field(default_factory=set)
    never_claims: bool = False
    scenario: str | None = None
    # counters checkpoint: value at `checkpoint_blocks` Inference blocks into the open epoch
    checkpoint_blocks: int = 0
    checkpoint: Counters = field(default_factory=Counters)
    baseline: dict = field(default_factory=dict)  # state to return to on a "reset" incident

    def all_ml_nodes(self) -> list[MLNode]:
        return [node for group in self.ml_groups for node in group]


def _digest(*parts: object, size: int = 32) -> bytes:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=size).digest()


def unit_hash(*parts: object) -> float:
    """Deterministic number in [0, 1) from the parts (used for per-epoch history)."""
    return int.from_bytes(_digest(*parts, size=8), "big") / 2**64


def synthetic_address(seed: int, i: int) -> str:
    return bech32.encode("gonka", _digest(seed, "account", i, size=20))


def _rate_milli(weight: int) -> int:
    # ~weight/4 requests per 1000 blocks: gonka14cu38x (weight 37,778) serves ~900 per real-sized epoch share
    return max(20, min(20_000, weight // 4))


def _ip(rng: random.Random) -> str:
    return f"10.{rng.randrange(1, 250)}.{rng.randrange(1, 250)}.{rng.randrange(2, 250)}"


def _snapshot_baseline(p: Participant) -> None:
    p.baseline = {
        "miss_ppm": p.miss_ppm,
        "chain_status": p.chain_status,
        "in_active_set": p.in_active_set,
        "online": p.online,
        "jailed": p.jailed,
        "jailed_until_height": p.jailed_until_height,
        "failed_ml_nodes": set(p.failed_ml_nodes),
        "never_claims": p.never_claims,
    }


def build_roster(
    seed_data: SeedData, seed: int, participants: int, first_history_epoch: int, start_epoch: int,
    start_height: int, epoch_length: int,
) -> list[Participant]:
    roster: list[Participant] = []
    for i, sp in enumerate(seed_data.participants):
        rng = random.Random(f"{seed}:real:{sp.address}")
        recorded_hw = {hw["local_id"]: hw for hw in seed_data.hardware_nodes.get(sp.address, [])}
        host = _ip(rng)
        groups = [
            [
                MLNode(
                    node_id=n.node_id,
                    poc_weight=n.poc_weight,
                    timeslot_allocation=n.timeslot_allocation,
                    host=recorded_hw.get(n.node_id, {}).get("host", host),
                    port=recorded_hw.get(n.node_id, {}).get("port", "8080"),
                    hardware=list(recorded_hw.get(n.node_id, {}).get("hardware", [])),
                )
                for n in group
            ]
            for group in sp.ml_groups
        ]
        miss = rng.randrange(0, 15_000)
        p = Participant(
            index=i, address=sp.address, real=True, validator_key=sp.validator_key,
            worker_public_key=base64.b64encode(b"\x02" + _digest(seed, "worker", sp.address)).decode(),
            weight=sp.weight, models=list(sp.models), ml_groups=groups,
            has_validator=rng.random() < 0.85, moniker=None, identity=None, website=None,
            first_epoch=first_history_epoch, join_height=max(1, start_height - 60 * epoch_length),
            rate_milli=_rate_milli(sp.weight), price_ngonka=rng.randrange(250, 1200),
            base_miss_ppm=miss, invalid_ppm=rng.randrange(0, 5_000), miss_ppm=miss,
        )
        roster.append(p)

    synthetic = max(participants - len(roster), len(SCENARIO_KEYS))
    for j in range(synthetic):
        i = len(roster)
        rng = random.Random(f"{seed}:synthetic:{j}")
        address = synthetic_address(seed, j)
        scenario = SCENARIO_KEYS[j] if j < len(SCENARIO_KEYS) else None
        if scenario:
            weight = rng.randrange(2_000, 6_000)
        else:
            weight = int(min(60_000, max(100, math.exp(rng.gauss(7.3, 1.2)))))
        n_models = 1 if rng.random() < 0.6 else 2
        models = rng.sample(MODELS, n_models)
        host = _ip(rng)
        hardware = [] if rng.random() < 0.8 else [{"type": rng.choice(GPU_TYPES), "count": rng.choice((1, 2, 4, 8))}]
        groups = []
        node_no = 1
        remaining = weight
        for g in range(n_models):
            size = rng.randrange(1, 4)
            group = []
            for k in range(size):
                last = g == n_models - 1 and k == size - 1
                w = remaining if last else max(1, weight // (n_models * size))
                remaining -= w
                group.append(MLNode(f"node{node_no}", max(w, 0), (True, rng.random() < 0.4), host,
                                    str(8080 + node_no), [dict(h) for h in hardware]))
                node_no += 1
            groups.append(group)
        if scenario or rng.random() < 0.7:
            first_epoch = first_history_epoch
        else:
            first_epoch = rng.randrange(first_history_epoch, start_epoch + 1)
        miss = rng.randrange(0, 12_000) if scenario != "healthy" else 2_000
        p = Participant(
            index=i, address=address, real=False,
            validator_key=base64.b64encode(_digest(seed, "consensus", j)).decode(),
            worker_public_key=base64.b64encode(b"\x03" + _digest(seed, "worker", j)).decode(),
            weight=weight, models=models, ml_groups=groups,
            has_validator=bool(scenario) or rng.random() < 0.85,
            moniker=f"sim-host-{j}" if rng.random() < 0.3 else None,
            identity=None, website=f"https://host{j}.example" if rng.random() < 0.1 else None,
            first_epoch=first_epoch,
            join_height=max(1, start_height - (start_epoch - first_epoch + 1) * epoch_length),
            rate_milli=_rate_milli(weight) * (4 if scenario == "unhealthy_missed" else 1),
            price_ngonka=rng.randrange(250, 1200), base_miss_ppm=miss, invalid_ppm=rng.randrange(0, 5_000),
            miss_ppm=miss, scenario=scenario,
        )
        if not scenario and rng.random() < 0.03:  # registered hosts that are not in the active set
            p.in_active_set = False
            p.chain_status = "INACTIVE"
        if not scenario and rng.random() < 0.15:
            p.chain_status = "RAMPING" if p.in_active_set else p.chain_status
        roster.append(p)

    for p in roster:
        _apply_scenario(p, start_height, epoch_length)
        _snapshot_baseline(p)
    return roster


def _apply_scenario(p: Participant, start_height: int, epoch_length: int) -> None:
    if p.scenario == "healthy_ramping":
        p.chain_status = "RAMPING"
    elif p.scenario == "jailed":
        # jailed stays true until an unjail incident; ready_to_unjail turns true once jailed_until passes
        p.jailed = True
        p.jailed_until_height = start_height + min(150, epoch_length // 2)
    elif p.scenario == "offline":
        p.online = False
    elif p.scenario == "unhealthy_missed":
        p.miss_ppm = p.base_miss_ppm = HIGH_MISS_PPM
    elif p.scenario == "unhealthy_ml_failed":
        p.failed_ml_nodes = {p.all_ml_nodes()[0].node_id}
    elif p.scenario == "inactive":
        p.in_active_set = False
        p.chain_status = "INACTIVE"
    elif p.scenario == "unclaimed_reward":
        p.never_claims = True


def restore_baseline(p: Participant) -> None:
    for key, value in p.baseline.items():
        setattr(p, key, set(value) if isinstance(value, set) else value)
