"""Loads the recorded upstream responses in sim/seed/ that the simulated network starts from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SEED_DIR = Path(__file__).parent / "seed"


@dataclass(frozen=True)
class SeedMLNode:
    node_id: str
    poc_weight: int
    timeslot_allocation: tuple[bool, bool]


@dataclass(frozen=True)
class SeedParticipant:
    address: str
    validator_key: str
    weight: int
    inference_url: str
    models: tuple[str, ...]
    ml_groups: tuple[tuple[SeedMLNode, ...], ...]
    seed_signature: str


@dataclass(frozen=True)
class SeedData:
    participants: tuple[SeedParticipant, ...]
    epochs_latest: dict  # /v1/epochs/latest as recorded (stage offsets, epoch_params)
    summaries: dict[tuple[int, str], dict]  # (epoch, address) -> recorded epochPerformanceSummary body
    hardware_nodes: dict[str, list[dict]]  # address -> recorded hardware_nodes list


def _load(name: str):
    return json.loads((SEED_DIR / name).read_text())


@lru_cache(maxsize=1)
def load_seed() -> SeedData:
    epoch_set = _load("tracker_current_epoch_participants.json")["active_participants"]["participants"]
    participants = []
    for raw in epoch_set:
        groups = tuple(
            tuple(
                SeedMLNode(
                    node_id=node["node_id"],
                    poc_weight=int(node.get("poc_weight", 0)),  # dapi omits zero values
                    timeslot_allocation=tuple(node.get("timeslot_allocation", [True, False])),
                )
                for node in group.get("ml_nodes", [])
            )
            for group in raw.get("ml_nodes", [])
        )
        participants.append(
            SeedParticipant(
                address=raw["index"],
                validator_key=raw.get("validator_key", ""),
                weight=int(raw.get("weight", 0)),
                inference_url=raw.get("inference_url", ""),
                models=tuple(raw.get("models", [])),
                ml_groups=groups,
                seed_signature=raw.get("seed", {}).get("signature", ""),
            )
        )
    summaries = {}
    hardware = {}
    for path in sorted(SEED_DIR.glob("tracker_epoch_performance_summary_*.json")):
        body = json.loads(path.read_text())["epochPerformanceSummary"]
        summaries[(int(body["epoch_index"]), body["participant_id"])] = body
    for path in sorted(SEED_DIR.glob("tracker_hardware_nodes_*.json")):
        body = json.loads(path.read_text())["nodes"]
        hardware[body["participant"]] = body["hardware_nodes"]
    return SeedData(
        participants=tuple(participants),
        epochs_latest=_load("mine_gonka-epochs-latest.json"),
        summaries=summaries,
        hardware_nodes=hardware,
    )
