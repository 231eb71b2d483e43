"""JSON bodies of the Gonka node API (dapi /v1, chain-api REST gateway, chain-rpc) built from the state.

Conventions copied from the recorded responses: dapi /v1 omits zero values and keeps int64 as numbers;
chain-api writes every field and int64 as strings; chain-rpc uses a JSON-RPC envelope with string heights.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from minegnk.sim import bech32
from minegnk.sim.formats import hex_digest, ms, rfc3339_nanos
from minegnk.sim.ledger import Summary
from minegnk.sim.roster import Participant
from minegnk.sim.state import Simulator

CHAIN_ID = "gonka-mainnet"


def not_found() -> dict:
    """The gRPC gateway's body for codes.NotFound (HTTP 404)."""
    return {"code": 5, "message": "not found", "details": []}


def invalid_argument(message: str) -> dict:
    return {"code": 3, "message": message, "details": []}


def inference_url(base: str, p: Participant) -> str:
    return f"{base}/host/{p.address}"


def seed_signature(sim: Simulator, epoch: int, address: str) -> str:
    return hex_digest(sim.seed, "seed-signature", epoch, address, size=64)


def consensus_address(p: Participant) -> str:
    return hashlib.sha256(base64.b64decode(p.validator_key)).hexdigest()[:40].upper()


def _omit_zero(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (0, "", None, [], {})}


def epochs_latest(sim: Simulator) -> dict:
    g = sim.geometry
    epoch = sim.epoch
    return {
        "block_height": sim.height,
        "latest_epoch": {"index": epoch, "poc_start_block_height": g.poc_start(epoch)},
        "phase": sim.phase,
        "epoch_stages": g.stages(epoch),
        "next_epoch_stages": g.stages(epoch + 1),
        "epoch_params": g.epoch_params(sim.seed_data.epochs_latest["epoch_params"]),
        "is_confirmation_poc_active": False,
    }


def _epoch_entry(sim: Simulator, p: Participant, epoch: int, base: str) -> dict:
    groups = [
        {"ml_nodes": [
            _omit_zero({"node_id": n.node_id, "poc_weight": n.poc_weight,
                        "timeslot_allocation": list(n.timeslot_allocation)})
            for n in group
        ]}
        for group in p.ml_groups
    ]
    return _omit_zero({
        "index": p.address,
        "validator_key": p.validator_key,
        "weight": p.weight,
        "inference_url": inference_url(base, p),
        "models": list(p.models),
        "seed": {"participant": p.address, "epoch_index": epoch, "signature": seed_signature(sim, epoch, p.address)},
        "ml_nodes": groups,
    })


def _block(sim: Simulator, height: int) -> dict:
    h = hex_digest(sim.seed, "block", height).upper()
    return {
        "header": {
            "version": {"block": 11}, "chain_id": CHAIN_ID, "height": height,
            "time": rfc3339_nanos(sim.block_time(height), height),
            "last_block_id": {"hash": hex_digest(sim.seed, "block", height - 1).upper(),
                              "parts": {"total": 1, "hash": hex_digest(sim.seed, "parts", height - 1).upper()}},
            "last_commit_hash": hex_digest(sim.seed, "commit", height).upper(),
            "data_hash": hex_digest(sim.seed, "data", height).upper(),
            "validators_hash": hex_digest(sim.seed, "validators", sim.epoch).upper(),
            "next_validators_hash": hex_digest(sim.seed, "validators", sim.epoch).upper(),
            "consensus_hash": hex_digest(sim.seed, "consensus").upper(),
            "app_hash": hex_digest(sim.seed, "app", height).upper(),
            "last_results_hash": hex_digest(sim.seed, "results", height).upper(),
            "evidence_hash": hex_digest(sim.seed, "evidence", height).upper(),
            "proposer_address": hex_digest(sim.seed, "proposer", height, size=20).upper(),
        },
        "data": {"txs": None},
        "evidence": {"evidence": None},
        "last_commit": {"height": height - 1, "round": 0,
                        "block_id": {"hash": h, "parts": {"total": 1, "hash": h}}, "signatures": []},
    }


def epoch_participants(sim: Simulator, base: str) -> dict:
    """/v1/epochs/current/participants. Proof fields are synthetic placeholders, not a verifiable proof."""
    g = sim.geometry
    epoch = sim.epoch
    members = sim.active_set()
    effective = g.effective_height(epoch)
    with_validator = [p for p in members if p.has_validator]
    return {
        "active_participants": {
            "participants": [_epoch_entry(sim, p, epoch, base) for p in members],
            "epoch_group_id": epoch,
            "poc_start_block_height": g.poc_start(epoch),
            "effective_block_height": effective,
            "created_at_block_height": effective - 2,
            "epoch_id": epoch,
        },
        "addresses": [consensus_address(p) for p in members],
        "active_participants_bytes": hex_digest(sim.seed, "active-participants", epoch, len(members), size=64),
        "proof_ops": {"ops": [{
            "type": "ics23:iavl",
            "key": base64.b64encode(b"ActiveParticipants/value/" + epoch.to_bytes(8, "big") + b"/").decode(),
            "data": base64.b64encode(bytes.fromhex(hex_digest(sim.seed, "proof", epoch, size=64))).decode(),
        }]},
        "validators": [
            {"address": consensus_address(p), "pub_key": p.validator_key, "voting_power": p.weight,
             "proposer_priority": int(hex_digest(sim.seed, "priority", p.address, size=4), 16) % 200_001 - 100_000}
            for p in with_validator
        ],
        "excluded_participants": [],
        "block": _block(sim, effective - 1),
    }


def _stats_strings(c) -> dict:
    return {
        "inference_count": str(c.inference_count),
        "missed_requests": str(c.missed_requests),
        "earned_coins": str(c.earned_coins),
        "rewarded_coins": "0",  # never written during the epoch
        "burned_coins": "0",
        "validated_inferences": str(c.validated_inferences),
        "invalidated_inferences": str(c.invalidated_inferences),
    }


def chain_participant(sim: Simulator, p: Participant, base: str) -> dict:
    c = sim.counters(p)
    last = sim.last_inference_height(p)
    return {
        "index": p.address,
        "address": p.address,
        "weight": 1 if p.chain_status != "INVALID" else -1,  # the chain's ±1, not the epoch weight
        "join_time": str(ms(sim.block_time(p.join_height))),
        "join_height": str(p.join_height),
        "last_inference_time": str(ms(sim.block_time(last))) if last else "0",
        "inference_url": inference_url(base, p),
        "status": p.chain_status,
        "coin_balance": str(c.earned_coins),
        "validator_key": p.validator_key,
        "consecutive_invalid_inferences": "0",
        "worker_public_key": p.worker_public_key,
        "epochs_completed": max(0, sim.last_settled_epoch() - p.first_epoch + 1),
        "current_epoch_stats": _stats_strings(c),
    }


def chain_participants_all(sim: Simulator, base: str) -> list[dict]:
    return [chain_participant(sim, p, base) for p in sim.roster]


def chain_participants_page(sim: Simulator, rows: list[dict], offset: int, limit: int, by_key: bool) -> dict:
    page = rows[offset: offset + limit]
    end = offset + len(page)
    next_key = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(rows) else None
    return {
        "participant": page,
        # like Cosmos: total is counted on the first page only, "0" when paging by key
        "pagination": {"next_key": next_key, "total": "0" if by_key else str(len(rows))},
        "block_height": str(sim.height),
    }


def decode_page_key(key: str) -> int:
    text = base64.b64decode(key.encode()).decode()
    if not text.startswith("offset:"):
        raise ValueError("bad key")
    return int(text.split(":", 1)[1])


def epoch_summary(sim: Simulator, s: Summary) -> dict:
    return {"epochPerformanceSummary": {
        "epoch_index": str(s.epoch),
        "participant_id": s.address,
        "inference_count": str(s.inference_count),
        "missed_requests": str(s.missed_requests),
        "earned_coins": str(s.earned_coins),
        "rewarded_coins": str(s.rewarded_coins),
        "burned_coins": str(s.burned_coins),
        "validated_inferences": str(s.validated_inferences),
        "invalidated_inferences": str(s.invalidated_inferences),
        "claimed": sim.claimed(s),
    }}


def hardware_node_status(sim: Simulator, p: Participant, node_id: str) -> str:
    if node_id in p.failed_ml_nodes:
        return "FAILED"
    return "INFERENCE" if sim.phase == "Inference" else "POC"


def hardware_nodes(sim: Simulator, p: Participant) -> dict:
    models_by_node = {}
    for model, group in zip(p.models, p.ml_groups):
        for node in group:
            models_by_node.setdefault(node.node_id, []).append(model)
    return {"nodes": {
        "participant": p.address,
        "hardware_nodes": [
            {"local_id": n.node_id, "status": hardware_node_status(sim, p, n.node_id),
             "models": models_by_node.get(n.node_id, []), "hardware": [dict(h) for h in n.hardware],
             "host": n.host, "port": n.port}
            for n in p.all_ml_nodes()
        ],
    }}


def chain_rpc_status(sim: Simulator, prefix: str) -> dict:
    h = sim.height
    return {"jsonrpc": "2.0", "id": -1, "result": {
        "node_info": {
            "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
            "id": hex_digest(sim.seed, "node-id", prefix, size=20),
            "listen_addr": "tcp://0.0.0.0:26656", "network": CHAIN_ID, "version": "0.38.17",
            "channels": "40202122233038606100", "moniker": f"sim-{prefix}",
            "other": {"tx_index": "on", "rpc_address": "tcp://0.0.0.0:26657"},
        },
        "sync_info": {
            "latest_block_hash": hex_digest(sim.seed, "block", h).upper(),
            "latest_app_hash": hex_digest(sim.seed, "app", h).upper(),
            "latest_block_height": str(h),
            "latest_block_time": rfc3339_nanos(sim.block_time(h), h),
            "earliest_block_hash": hex_digest(sim.seed, "block", 1).upper(),
            "earliest_app_hash": hex_digest(sim.seed, "app", 1).upper(),
            "earliest_block_height": "1",
            "earliest_block_time": rfc3339_nanos(sim.block_time(1), 1),
            "catching_up": False,
        },
        "validator_info": {
            "address": hex_digest(sim.seed, "validator", prefix, size=20).upper(),
            "pub_key": {"type": "tendermint/PubKeyEd25519",
                        "value": base64.b64encode(bytes.fromhex(hex_digest(sim.seed, "pk", prefix))).decode()},
            "voting_power": "0",
        },
    }}


def chain_rpc_block(sim: Simulator, height: int) -> dict:
    block = _block(sim, height)
    header = dict(block["header"], height=str(height), version={"block": "11"})
    block_id = {"hash": hex_digest(sim.seed, "block", height).upper(),
                "parts": {"total": 1, "hash": hex_digest(sim.seed, "parts", height).upper()}}
    return {"jsonrpc": "2.0", "id": -1, "result": {"block_id": block_id, "block": {
        "header": header, "data": {"txs": []}, "evidence": {"evidence": []},
        "last_commit": {"height": str(height - 1), "round": 0, "block_id": block["last_commit"]["block_id"],
                        "signatures": []},
    }}}


# ---------------------------------------------------------------------- Cosmos staking / slashing
# Every participant with a validator (has_validator) is a staking validator whose consensus key is its
# validator_key; jailed and jailed_until follow the same state the tracker's is_jailed/jailed_until show.
# Participants without one: every other one has a validator with 0 tokens (which the tracker ignores), the rest
# none at all - both read as "no validator" (tracker is_jailed null).

NEVER = "1970-01-01T00:00:00Z"  # the chain's zero time for jailed_until / unbonding_time


def operator_address(p: Participant) -> str:
    return bech32.encode("gonkavaloper", bech32.decode(p.address)[1])


@lru_cache(maxsize=50_000)
def _valcons(validator_key: str) -> str:
    return bech32.encode("gonkavalcons", hashlib.sha256(base64.b64decode(validator_key)).digest()[:20])


def valcons_address(p: Participant) -> str:
    return _valcons(p.validator_key)


def has_staking_entry(p: Participant) -> bool:
    return p.has_validator or p.index % 2 == 0


def jailed_until_text(sim: Simulator, p: Participant) -> str | None:
    if p.jailed and p.jailed_until_height is not None:
        return rfc3339_nanos(sim.block_time(p.jailed_until_height), p.jailed_until_height)
    return None


def staking_validator(sim: Simulator, p: Participant) -> dict:
    tokens = p.weight * 1_000 if p.has_validator else 0
    valoper = operator_address(p)
    return {
        "operator_address": valoper,
        "consensus_pubkey": {"@type": "/cosmos.crypto.ed25519.PubKey", "key": p.validator_key},
        "jailed": p.jailed,
        "status": "BOND_STATUS_UNBONDING" if p.jailed or not tokens else "BOND_STATUS_BONDED",
        "tokens": str(tokens),
        "delegator_shares": f"{tokens}.000000000000000000",
        # a host that never set a moniker shows its operator address (the tracker blanks those)
        "description": {"moniker": p.moniker or valoper, "identity": p.identity or "", "website": p.website or "",
                        "security_contact": "", "details": ""},
        "unbonding_height": "0",
        "unbonding_time": NEVER,
        "commission": {"commission_rates": {"rate": "0.100000000000000000", "max_rate": "0.200000000000000000",
                                            "max_change_rate": "0.010000000000000000"},
                       "update_time": rfc3339_nanos(sim.block_time(p.join_height), p.join_height)},
        "min_self_delegation": "1",
        "unbonding_on_hold_ref_count": "0",
        "unbonding_ids": [],
    }


def staking_validators_all(sim: Simulator) -> list[dict]:
    # the chain iterates its store by operator address bytes, i.e. by the account bytes
    members = sorted((p for p in sim.roster if has_staking_entry(p)), key=lambda p: bech32.decode(p.address)[1])
    return [staking_validator(sim, p) for p in members]


def staking_validators_page(rows: list[dict], offset: int, limit: int, by_key: bool) -> dict:
    page = rows[offset: offset + limit]
    end = offset + len(page)
    next_key = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(rows) else None
    return {"validators": page, "pagination": {"next_key": next_key, "total": "0" if by_key else str(len(rows))}}


def signing_info(sim: Simulator, address: str) -> dict | None:
    """`cosmos/slashing/v1beta1/signing_infos/{gonkavalcons…}`; None -> the chain's 404."""
    p = next((p for p in sim.roster if has_staking_entry(p) and valcons_address(p) == address), None)
    if p is None:
        return None
    return {"val_signing_info": {
        "address": address,
        "start_height": str(p.join_height),
        "index_offset": str(max(0, sim.height - p.join_height)),
        "jailed_until": jailed_until_text(sim, p) or NEVER,
        "tombstoned": False,
        "missed_blocks_counter": str(0 if p.online else min(100, sim.height - sim.offline_since.get(p.address, 0))),
    }}


def signing_info_not_found(address: str) -> dict:
    return {"code": 5, "message": f"SigningInfo not found for validator {address}: key not found", "details": []}


def host_versions(p: Participant) -> dict:
    # synthetic: no recorded /v1/versions body exists; the portal only needs a 200 JSON answer
    return {"decentralized_api": "v0.2.5", "inference_chain": "v0.2.5", "participant": p.address}
