"""JSON bodies of the Hyperfusion tracker API (/api/v1/...) built from the state.

Quirks reproduced from the recorded response and the tracker source: counters as strings, naive-UTC
cached_at / node_health_checked_at, null jail fields for hosts without a staking validator,
total_assigned_rewards_gnk null for the current epoch, rates as the only floats.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from minegnk.sim.chain_rules import NGONKA_PER_GNK
from minegnk.sim.formats import hex_digest, naive_utc, rfc3339_nanos
from minegnk.sim.ledger import Summary
from minegnk.sim.node_views import hardware_node_status, inference_url, jailed_until_text, seed_signature
from minegnk.sim.roster import Counters, Participant
from minegnk.sim.state import Simulator


def not_found() -> dict:
    return {"detail": "Participant not found"}


def health_checked_at(now: datetime) -> str:
    # the tracker saves one health batch a minute; its timestamp is the batch time, not the probe time
    batch = now.replace(second=0, microsecond=0) + timedelta(microseconds=619_478)
    if batch > now:
        batch -= timedelta(minutes=1)
    return naive_utc(batch)


def _rate(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def participant_stats(sim: Simulator, p: Participant, epoch: int, counters: Counters, weight: int, base: str,
                      checked_at: str) -> dict:
    nodes = p.all_ml_nodes()
    weight_to_confirm = sum(n.poc_weight for n in nodes if not n.timeslot_allocation[1])
    confirmation_weight = weight_to_confirm
    jail_known = p.has_validator
    jailed_until = jailed_until_text(sim, p)  # the same value the slashing signing info serves
    c = counters
    return {
        "index": p.address,
        "address": p.address,
        "weight": weight,
        "validator_key": p.validator_key,
        "inference_url": inference_url(base, p),
        "status": p.chain_status,
        "models": list(p.models),
        "current_epoch_stats": {
            "inference_count": str(c.inference_count),
            "missed_requests": str(c.missed_requests),
            "earned_coins": str(c.earned_coins),
            "rewarded_coins": "0",
            "burned_coins": "0",
            "validated_inferences": str(c.validated_inferences),
            "invalidated_inferences": str(c.invalidated_inferences),
        },
        "is_jailed": p.jailed if jail_known else None,
        "jailed_until": jailed_until if jail_known else None,
        "ready_to_unjail": (p.jailed and p.jailed_until_height is not None and sim.height > p.jailed_until_height)
        if jail_known else None,
        "node_healthy": p.online,
        "node_health_checked_at": checked_at,
        "moniker": p.moniker,
        "identity": p.identity,
        "keybase_username": None,
        "keybase_picture_url": None,
        "website": p.website,
        "validator_consensus_key": p.validator_key if jail_known else None,
        "consensus_key_mismatch": False if jail_known else None,
        "seed_signature": seed_signature(sim, epoch, p.address),
        "ml_nodes_map": {n.node_id: n.poc_weight for n in nodes},
        "weight_to_confirm": weight_to_confirm,
        "confirmation_weight": confirmation_weight,
        "confirmation_poc_ratio": round(confirmation_weight / weight_to_confirm, 4) if weight_to_confirm else None,
        "participant_status": p.chain_status,
        "missed_rate": _rate(c.missed_requests, c.missed_requests + c.inference_count),
        "invalidation_rate": _rate(c.invalidated_inferences, c.inference_count),
    }


def _timing(sim: Simulator) -> dict:
    g = sim.geometry
    return {
        "current_block_height": sim.height,
        "current_block_timestamp": rfc3339_nanos(sim.block_time(sim.height), sim.height),
        "avg_block_time": round(sim.block_seconds, 2),
        "next_poc_start_block": g.poc_start(sim.epoch + 1),
        "set_new_validators_block": g.stages(sim.epoch + 1)["set_new_validators"],
    }


def inference_current(sim: Simulator, base: str) -> dict:
    now = datetime.now(timezone.utc)
    checked_at = health_checked_at(now)
    epoch = sim.epoch
    return {
        "epoch_id": epoch,
        "height": sim.height,
        "participants": [
            participant_stats(sim, p, epoch, sim.counters(p), p.weight, base, checked_at) for p in sim.active_set()
        ],
        "cached_at": naive_utc(now),
        "is_current": True,
        "total_assigned_rewards_gnk": None,
        **_timing(sim),
    }


def _summary_counters(s: Summary) -> Counters:
    return Counters(s.inference_count, s.missed_requests, s.earned_coins, s.validated_inferences,
                    s.invalidated_inferences)


def participant_details(sim: Simulator, address: str, epoch: int, base: str) -> dict | None:
    """/participants/{id}?epoch_id=; None (-> 404) when not in that epoch's active set."""
    p = sim.by_address.get(address)
    if p is None or epoch > sim.epoch:
        return None
    weight = sim.weight_in_epoch(p, epoch)
    if weight is None:
        return None
    if epoch == sim.epoch:
        counters = sim.counters(p)
        reward_epochs = range(epoch - 1, epoch - 6, -1)
    else:
        summary = sim.summary(epoch, address)
        # an epoch that ended but has not settled yet still has its live counters
        counters = _summary_counters(summary) if summary else sim.counters(p)
        reward_epochs = range(epoch, epoch - 6, -1)
    rewards = []
    for e in reward_epochs:
        s = sim.summary(e, address)
        if s is not None:
            rewards.append({"epoch_id": e, "assigned_reward_gnk": s.rewarded_coins // NGONKA_PER_GNK,
                            "claimed": sim.claimed(s)})
    poc = {n.node_id: n.poc_weight for n in p.all_ml_nodes()}
    models_by_node: dict[str, list[str]] = {}
    for model, group in zip(p.models, p.ml_groups):
        for node in group:
            models_by_node.setdefault(node.node_id, []).append(model)
    now = datetime.now(timezone.utc)
    return {
        "participant": participant_stats(sim, p, epoch, counters, weight, base, health_checked_at(now)),
        "rewards": rewards,
        "seed": {"participant": address, "epoch_index": epoch, "signature": seed_signature(sim, epoch, address)},
        "warm_keys": [{
            "grantee_address": address[:6] + hex_digest(sim.seed, "warm", address, size=19)[:38],
            "granted_at": rfc3339_nanos(now + timedelta(days=365), 0),
        }] if p.index % 2 == 0 else [],
        "ml_nodes": [
            {"local_id": n.node_id, "status": hardware_node_status(sim, p, n.node_id),
             "models": models_by_node.get(n.node_id, []), "hardware": [dict(h) for h in n.hardware],
             "host": n.host, "port": n.port, "poc_weight": poc.get(n.node_id)}
            for n in p.all_ml_nodes()
        ],
    }


def _inference_detail(sim: Simulator, p: Participant, epoch: int, k: int, status: str) -> dict:
    g = sim.geometry
    span = max(1, min(sim.height, g.poc_start(epoch + 1)) - g.inference_start(epoch))
    height = g.inference_start(epoch) + (int(hex_digest(sim.seed, "inf-h", epoch, p.address, k, size=4), 16) % span)
    validators = [q.address for q in sim.roster[(p.index + 1) % len(sim.roster):][:2]]
    prompt_tokens = 50 + int(hex_digest(sim.seed, "pt", epoch, p.address, k, size=2), 16) % 2000
    return {
        "inference_id": hex_digest(sim.seed, "inference", epoch, p.address, k, status),
        "status": status,
        "start_block_height": str(height),
        "start_block_timestamp": str(int(sim.block_time(height).timestamp() * 1000)),
        "validated_by": validators if status in ("VALIDATED", "INVALIDATED") else [],
        "prompt_hash": hex_digest(sim.seed, "prompt", epoch, p.address, k),
        "response_hash": hex_digest(sim.seed, "response", epoch, p.address, k) if status != "EXPIRED" else None,
        "prompt_payload": '{"messages":[{"role":"user","content":"simulated prompt"}]}',
        "response_payload": '{"choices":[{"message":{"content":"simulated"}}]}' if status != "EXPIRED" else None,
        "prompt_token_count": str(prompt_tokens),
        "completion_token_count": str(prompt_tokens // 3) if status != "EXPIRED" else "0",
        "model": p.models[k % len(p.models)] if p.models else None,
    }


def participant_inferences(sim: Simulator, address: str, epoch: int) -> dict:
    """Only the current and the previous epoch are populated, like the tracker's cache."""
    p = sim.by_address.get(address)
    empty = {"epoch_id": epoch, "participant_id": address, "cached_at": None,
             "successful": [], "expired": [], "invalidated": []}
    if p is None or epoch not in (sim.epoch, sim.epoch - 1):
        return empty
    summary = sim.summary(epoch, address)
    counters = _summary_counters(summary) if summary else sim.counters(p)
    if epoch == sim.epoch and sim.open_epoch() != epoch:
        counters = Counters()  # the new epoch's inference phase has not started
    return {
        "epoch_id": epoch,
        "participant_id": address,
        "cached_at": naive_utc(datetime.now(timezone.utc)),
        "successful": [_inference_detail(sim, p, epoch, k, "VALIDATED" if k % 3 else "FINISHED")
                       for k in range(min(10, counters.inference_count - counters.invalidated_inferences))],
        "expired": [_inference_detail(sim, p, epoch, 100 + k, "EXPIRED")
                    for k in range(min(10, counters.missed_requests))],
        "invalidated": [_inference_detail(sim, p, epoch, 200 + k, "INVALIDATED")
                        for k in range(min(10, counters.invalidated_inferences))],
    }


def timeline(sim: Simulator) -> dict:
    g = sim.geometry
    h = sim.height
    reference = max(1, h - 10_000)
    restriction_end = g.poc_start(sim.start_epoch - 10)
    return {
        "current_block": {"height": h, "timestamp": rfc3339_nanos(sim.block_time(h), h)},
        "reference_block": {"height": reference, "timestamp": rfc3339_nanos(sim.block_time(reference), reference)},
        "avg_block_time": round(sim.block_seconds, 2),
        "events": [{"block_height": restriction_end, "description": "Money Transfer Enabled",
                    "occurred": h >= restriction_end}],
        "current_epoch_start": g.poc_start(sim.epoch),
        "current_epoch_index": sim.epoch,
        "epoch_length": g.epoch_length,
        "epoch_stages": g.stages(sim.epoch),
        "next_epoch_stages": g.stages(sim.epoch + 1),
    }


MODEL_META = {  # synthetic model metadata; no recorded models_all exists
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8": ("640", "10000", "100"),
    "Qwen/Qwen3-32B-FP8": ("80", "5000", "50"),
    "Qwen/QwQ-32B": ("80", "5000", "50"),
    "Qwen/Qwen2.5-7B-Instruct": ("24", "1000", "10"),
}


def models_current(sim: Simulator) -> dict:
    totals: dict[str, list[int]] = {}
    inferences: dict[str, int] = {}
    for p in sim.active_set():
        c = sim.counters(p)
        for i, (model, group) in enumerate(zip(p.models, p.ml_groups)):
            entry = totals.setdefault(model, [0, 0])
            entry[0] += sum(n.poc_weight for n in group)
            entry[1] += 1
            if i == 0:
                inferences[model] = inferences.get(model, 0) + c.inference_count
    now = datetime.now(timezone.utc)
    proposer = sim.roster[0].address
    models = []
    for model in sorted(totals):
        v_ram, throughput, units = MODEL_META.get(model, ("24", "1000", "10"))
        models.append({
            "id": model, "total_weight": totals[model][0], "participant_count": totals[model][1],
            "proposed_by": proposer, "v_ram": v_ram, "throughput_per_nonce": throughput,
            "units_of_compute_per_token": units, "hf_repo": model,
            "hf_commit": hex_digest("hf", model, size=20), "model_args": ["--max-model-len", "32768"],
            "validation_threshold": {"value": "85", "exponent": -2},
        })
    return {
        "epoch_id": sim.epoch, "height": sim.height, "cached_at": naive_utc(now), "is_current": True,
        "current_block_timestamp": rfc3339_nanos(sim.block_time(sim.height), sim.height),
        "avg_block_time": round(sim.block_seconds, 2),
        "models": models,
        "stats": [{"model": m, "ai_tokens": str(n * 900), "inferences": n} for m, n in sorted(inferences.items())],
    }
