"""Status rules of doc §4, table-driven, plus NodeView built from both upstream paths."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from minegnk.services.status import (
    LivenessState,
    NodeApiSnapshot,
    PortalStatus,
    Reason,
    StatusInputs,
    TrackerSnapshot,
    advance_liveness,
    build_node_view,
    compute_rate,
    derive_status,
)
from minegnk.upstream import schemas as s
from minegnk.upstream.http import decode_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
PS, HW, PH = s.ParticipantStatus, s.HardwareNodeStatus, s.EpochPhase
UNTIL = datetime(2025, 12, 8, 14, 10, tzinfo=UTC)

HEALTHY = StatusInputs(
    registered=True, in_set=True, tracker_data_age_s=30, node_api_reachable=True, chain_status=PS.ACTIVE,
    is_jailed=False, ready_to_unjail=False, consecutive_probe_failures=0, last_probe_ok=True,
    inference_count=100, missed_requests=2, validated_inferences=90, invalidated_inferences=1,
    confirmation_poc_ratio=Decimal("0.98"), consensus_key_mismatch=False,
    ml_node_statuses={"node1": HW.INFERENCE, "node2": HW.INFERENCE}, phase=PH.INFERENCE,
    inference_phase_blocks=5000, weight=1000,
)

U, INA, J, OFF, UNH, OK = (PortalStatus.UNKNOWN, PortalStatus.INACTIVE, PortalStatus.JAILED, PortalStatus.OFFLINE,
                           PortalStatus.UNHEALTHY, PortalStatus.HEALTHY)

CASES = [
    # label, overrides, status, reason codes
    ("baseline healthy", {}, OK, []),
    # 1 unknown
    ("never registered (404)", {"registered": False, "in_set": False}, U, ["not_registered"]),
    ("404 while in set is a lagging host", {"registered": False}, OK, []),
    ("tracker stale and node API down", {"tracker_data_age_s": 900, "node_api_reachable": False}, U, ["no_fresh_data"]),
    ("tracker stale, node API unknown", {"tracker_data_age_s": 900, "node_api_reachable": None}, U, ["no_fresh_data"]),
    ("no data at all", {"tracker_data_age_s": None, "node_api_reachable": None}, U, ["no_fresh_data"]),
    ("tracker fresh, node API down", {"tracker_data_age_s": 60, "node_api_reachable": False}, OK, []),
    ("tracker stale, node API up", {"tracker_data_age_s": 9000, "node_api_reachable": True}, OK, []),
    ("membership unknown", {"in_set": None}, U, ["membership_unknown"]),
    # 2 inactive
    ("registered, not in set", {"in_set": False}, INA, ["not_in_active_set"]),
    ("inactive beats jailed", {"in_set": False, "is_jailed": True}, INA, ["not_in_active_set"]),
    ("registration unknown, not in set", {"registered": None, "in_set": False}, INA, ["not_in_active_set"]),
    # 3 jailed
    ("jailed", {"is_jailed": True, "jailed_until": UNTIL}, J, ["jailed"]),
    ("jailed, ready to unjail", {"is_jailed": True, "ready_to_unjail": True}, J, ["jailed", "unjail_tx_needed"]),
    ("jailed beats offline", {"is_jailed": True, "consecutive_probe_failures": 5}, J, ["jailed"]),
    ("jailed beats unhealthy", {"is_jailed": True, "chain_status": PS.INVALID}, J, ["jailed"]),
    ("jail null is not jailed", {"is_jailed": None, "ready_to_unjail": None}, OK, []),
    # 4 offline (anti-flap)
    ("one failed probe is a blip", {"consecutive_probe_failures": 1, "last_probe_ok": False}, OK, []),
    ("two failed probes", {"consecutive_probe_failures": 2, "last_probe_ok": False,
                           "last_probe_error": "timeout"}, OFF, ["probe_failed"]),
    ("offline beats unhealthy", {"consecutive_probe_failures": 3, "chain_status": PS.INVALID}, OFF, ["probe_failed"]),
    ("never probed is not offline", {"consecutive_probe_failures": 0, "last_probe_ok": None}, OK, []),
    # 5 unhealthy
    ("chain INVALID", {"chain_status": PS.INVALID}, UNH, ["chain_status_bad"]),
    ("chain INACTIVE", {"chain_status": PS.INACTIVE}, UNH, ["chain_status_bad"]),
    ("missed test fails", {"inference_count": 28, "missed_requests": 12}, UNH, ["missed_test_failed"]),
    ("missed test at the limit passes", {"inference_count": 32, "missed_requests": 8}, OK, []),
    ("tiny totals never fail", {"inference_count": 1, "missed_requests": 3}, OK, []),
    ("invalidation test fails", {"validated_inferences": 39, "invalidated_inferences": 11}, UNH,
     ["invalidation_test_failed"]),
    ("invalidation at the limit passes", {"validated_inferences": 40, "invalidated_inferences": 10}, OK, []),
    ("confirmation ratio < 0.5", {"confirmation_poc_ratio": Decimal("0.49")}, UNH, ["low_confirmation_ratio"]),
    ("confirmation ratio = 0.5", {"confirmation_poc_ratio": Decimal("0.5")}, OK, []),
    ("confirmation ratio null", {"confirmation_poc_ratio": None}, OK, []),
    ("consensus key mismatch", {"consensus_key_mismatch": True}, UNH, ["consensus_key_mismatch"]),
    ("consensus key mismatch null", {"consensus_key_mismatch": None}, OK, []),
    ("ML node FAILED", {"ml_node_statuses": {"node1": HW.FAILED, "node2": HW.INFERENCE}}, UNH, ["ml_node_down"]),
    ("ML node STOPPED", {"ml_node_statuses": {"node1": HW.STOPPED}}, UNH, ["ml_node_down"]),
    ("ML node POC is fine", {"ml_node_statuses": {"node1": HW.POC}}, OK, []),
    ("ML node status unknown is fine", {"ml_node_statuses": {"node1": HW.UNKNOWN, "n2": HW.UNRECOGNIZED}}, OK, []),
    ("every reason is listed", {"chain_status": PS.INVALID, "inference_count": 28, "missed_requests": 12,
                                "confirmation_poc_ratio": Decimal("0.1"), "consensus_key_mismatch": True,
                                "ml_node_statuses": {"b": HW.FAILED, "a": HW.STOPPED}}, UNH,
     ["chain_status_bad", "missed_test_failed", "low_confirmation_ratio", "consensus_key_mismatch", "ml_node_down",
      "ml_node_down"]),
    # 6 healthy
    ("RAMPING is healthy", {"chain_status": PS.RAMPING}, OK, []),
    ("chain status null", {"chain_status": None}, OK, []),
    ("chain status unrecognised", {"chain_status": PS.UNRECOGNIZED}, OK, []),
    ("counters null", {"inference_count": None, "missed_requests": None, "validated_inferences": None,
                       "invalidated_inferences": None}, OK, []),
    ("PoC phase with zero counters", {"phase": PH.POC_GENERATE, "inference_count": 0, "missed_requests": 0,
                                      "validated_inferences": 0, "invalidated_inferences": 0}, OK, []),
    ("right after settlement", {"inference_count": 0, "missed_requests": 0, "validated_inferences": 0,
                                "invalidated_inferences": 0, "inference_phase_blocks": 10}, OK, []),
    ("zero weight is idle, still in set", {"weight": 0}, OK, []),
]


@pytest.mark.parametrize(("label", "overrides", "status", "codes"), CASES, ids=[c[0] for c in CASES])
def test_status_rules(label, overrides, status, codes) -> None:
    result = derive_status(replace(HEALTHY, **overrides))
    assert result.status == status
    assert [r.code for r in result.reasons] == codes


@pytest.mark.parametrize(
    ("overrides", "note"),
    [
        ({"is_jailed": None}, "jail_state_unknown"),
        ({"last_probe_ok": None}, "health_unknown"),
        ({"consecutive_probe_failures": 1, "last_probe_ok": False}, "probe_failed_once"),
        ({"chain_status": PS.RAMPING}, "ramping"),
        ({"chain_status": None}, "chain_status_unknown"),
        ({"weight": 0}, "idle_zero_weight"),
        ({"phase": PH.POC_VALIDATE}, "poc_phase"),
        ({"inference_count": 0, "missed_requests": 0}, "no_inferences"),
        ({"inference_count": 1, "missed_requests": 3}, "too_few_requests"),
    ],
)
def test_notes_never_change_status(overrides, note) -> None:
    result = derive_status(replace(HEALTHY, **overrides))
    assert result.status == OK
    assert note in [n.code for n in result.notes]


@pytest.mark.parametrize(
    "overrides",
    [
        {"phase": PH.POC_GENERATE, "inference_count": 0, "missed_requests": 0},  # PoC: counters stall
        {"inference_count": 0, "missed_requests": 0, "inference_phase_blocks": 100},  # too early to tell
        {"inference_count": 0, "missed_requests": 0, "inference_phase_blocks": None},
        {"inference_count": 0, "missed_requests": 0, "weight": 0},
    ],
)
def test_no_inferences_not_flagged(overrides) -> None:
    assert "no_inferences" not in [n.code for n in derive_status(replace(HEALTHY, **overrides)).notes]


def test_reason_params_are_machine_readable() -> None:
    missed = derive_status(replace(HEALTHY, inference_count=28, missed_requests=12)).reasons[0]
    assert missed == Reason("missed_test_failed", {"missed": 12, "total": 40, "critical": 8.5})
    table_point = derive_status(replace(HEALTHY, inference_count=39, missed_requests=11)).reasons[0]
    assert table_point.params == {"missed": 11, "total": 50, "critical": 10}
    ratio = derive_status(replace(HEALTHY, confirmation_poc_ratio=Decimal("0.4213"))).reasons[0]
    assert ratio.params == {"ratio": 0.4213, "threshold": 0.5}
    node = derive_status(replace(HEALTHY, ml_node_statuses={"n7": HW.FAILED})).reasons[0]
    assert node.params == {"node_id": "n7", "status": "FAILED"}
    chain = derive_status(replace(HEALTHY, chain_status=PS.INVALID)).reasons[0]
    assert chain.params == {"status": "INVALID"}
    offline = derive_status(replace(HEALTHY, consecutive_probe_failures=2, last_probe_error="timeout")).reasons[0]
    assert offline.params == {"consecutive_failures": 2, "error": "timeout"}
    json.dumps([dict(r.params) for r in (missed, ratio, node, chain, offline)])  # JSON-safe for storage


def test_jail_params_and_cause() -> None:
    consensus = derive_status(replace(HEALTHY, is_jailed=True, jailed_until=UNTIL, ready_to_unjail=False)).reasons[0]
    assert consensus.params == {"jailed_until": "2025-12-08T14:10:00+00:00", "ready_to_unjail": False,
                                "cause": "consensus"}
    by_ratio = derive_status(replace(HEALTHY, is_jailed=True, confirmation_poc_ratio=Decimal("0.2"))).reasons[0]
    assert by_ratio.params["cause"] == "confirmation_poc"
    by_status = derive_status(replace(HEALTHY, is_jailed=True, chain_status=PS.INACTIVE)).reasons[0]
    assert by_status.params["cause"] == "confirmation_poc"


@pytest.mark.parametrize(
    ("part", "total", "rate"),
    [(2, 37, Decimal("0.0541")), (0, 0, None), (3, 4, None), (1, 5, Decimal("0.2")), (None, 10, None),
     (1, 3, None), (1, 7, Decimal("0.1429"))],
)
def test_rates_skip_tiny_totals(part, total, rate) -> None:
    assert compute_rate(part, total) == rate


def test_liveness_anti_flap_sequence() -> None:
    t = datetime(2025, 12, 8, tzinfo=UTC)
    state = advance_liveness(None, True, None, t)
    assert state.consecutive_failures == 0
    state = advance_liveness(state, False, "timeout", t)
    assert (state.consecutive_failures, state.last_error) == (1, "timeout")
    state = advance_liveness(state, False, "HTTP 500", t)
    assert state.consecutive_failures == 2
    assert derive_status(replace(HEALTHY, consecutive_probe_failures=state.consecutive_failures)).status == OFF
    state = advance_liveness(state, True, None, t)
    assert (state.consecutive_failures, state.last_ok, state.last_error) == (0, True, None)


# ------------------------------------------------------------------------------------------ NodeView


def load(name: str):
    return decode_json((FIXTURES / name).read_bytes())


INFERENCE = s.parse_inference_response(load("mine_hyperfusion-inference.json"))
EPOCH = s.parse_epochs_latest(load("mine_gonka-epochs-latest.json"))
NOW = datetime(2025, 12, 8, 13, 57, 38, 900851, tzinfo=UTC)  # 60 s after the tracker's cached_at
A1 = "gonka1qzmhx83xnamk0uqup3lxpf2te9karrwjm9cjh7"
A2 = "gonka1qygkrhu964zy4r2t9fmlz8fe0q7s0nujw9hvu8"
A3 = "gonka1qy72uqasgd00un7qwexvfdl4zzy8ejaqj2zkqc"


def test_tracker_view_from_fixture() -> None:
    views = {a: build_node_view(a, TrackerSnapshot(INFERENCE), now=NOW, epoch=EPOCH) for a in (A1, A2, A3)}
    v1 = views[A1]
    assert (v1.source, v1.status, v1.reasons, v1.in_set, v1.epoch_id) == ("tracker", OK, (), True, 105)
    assert v1.data_age_s == 60
    assert (v1.weight, v1.network_weight, v1.weight_share) == (3965, 5551, Decimal("0.714286"))
    assert v1.counters.earned_coins == 3805
    assert v1.missed_rate == Decimal(0) and v1.missed_test.passed and v1.missed_test.total == 6
    assert [(m.node_id, m.poc_weight, m.status) for m in v1.ml_nodes] == [("node1", 3965, None)]
    assert v1.confirmation_poc_ratio == Decimal(1) and v1.weight_to_confirm == 3965
    assert v1.liveness is not None and v1.liveness.last_ok is True  # fresh tracker node_healthy used as fallback
    assert "jail_state_unknown" in [n.code for n in views[A2].notes]  # is_jailed null -> n/a, not jailed
    assert views[A2].status == OK
    assert views[A3].missed_rate == Decimal("0.0541") and views[A3].missed_test.critical == Decimal("8.05")


def test_tracker_view_not_in_set_and_stale() -> None:
    missing = "gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364"
    inactive = build_node_view(missing, TrackerSnapshot(INFERENCE, registered=True), now=NOW)
    assert (inactive.status, inactive.in_set, inactive.weight) == (INA, False, 0)
    stale_now = NOW + timedelta(minutes=20)
    stale = build_node_view(A1, TrackerSnapshot(INFERENCE), now=stale_now, node_api_reachable=False)
    assert stale.status == U and stale.reasons[0].code == "no_fresh_data"
    assert build_node_view(A1, TrackerSnapshot(INFERENCE), now=stale_now, node_api_reachable=True).status == OK


def test_tracker_view_health_needs_two_failures() -> None:
    payload = load("mine_hyperfusion-inference.json")
    payload["participants"][0]["node_healthy"] = False
    inference = s.parse_inference_response(payload)
    once = build_node_view(A1, TrackerSnapshot(inference), now=NOW)
    assert once.status == OK and "probe_failed_once" in [n.code for n in once.notes]
    twice = build_node_view(A1, TrackerSnapshot(inference), now=NOW,
                            liveness=LivenessState(2, False, "timeout", NOW))
    assert twice.status == OFF
    # A stale health batch (> 5 min) is ignored rather than trusted.
    old = build_node_view(A1, TrackerSnapshot(inference), now=NOW + timedelta(minutes=8))
    assert old.liveness is None and "health_unknown" in [n.code for n in old.notes]


def test_tracker_view_with_details_ml_node_failed() -> None:
    participant = load("mine_hyperfusion-inference.json")["participants"][0]
    details = s.parse_participant_details({"participant": participant, "rewards": [], "warm_keys": [], "ml_nodes": [
        {"local_id": "node1", "status": "FAILED", "models": ["m"], "hardware": [], "host": "h", "port": "8080",
         "poc_weight": 3965}]})
    view = build_node_view(A1, TrackerSnapshot(INFERENCE, details=details), now=NOW)
    assert view.status == UNH and view.reasons == (Reason("ml_node_down", {"node_id": "node1", "status": "FAILED"}),)
    assert view.ml_nodes[0].status == HW.FAILED and view.ml_nodes[0].host == "h"


def _node_api_equivalent_of_tracker_fixture():
    """The same three participants as the tracker fixture, in node-API shapes (SYNTHETIC, built from the fixture)."""
    tracker_payload = load("mine_hyperfusion-inference.json")
    participants = []
    for p in tracker_payload["participants"]:
        participants.append({
            "index": p["index"], "validator_key": p["validator_key"], "weight": p["weight"],
            "inference_url": p["inference_url"], "models": p["models"],
            "ml_nodes": [{"ml_nodes": [{"node_id": k, "poc_weight": v, "timeslot_allocation": [True, False]}
                                       for k, v in p["ml_nodes_map"].items()]}],
        })
    epoch = s.parse_epoch_participants({"active_participants": {
        "participants": participants, "epoch_id": 105, "poc_start_block_height": 1627410,
        "effective_block_height": 1627597}})
    chain = {p["index"]: s.parse_chain_participant_single({"participant": {
        "index": p["index"], "status": p["participant_status"], "inference_url": p["inference_url"],
        "current_epoch_stats": copy.deepcopy(p["current_epoch_stats"])}}) for p in tracker_payload["participants"]}
    return epoch, chain


@pytest.mark.parametrize("address", [A1, A2, A3])
def test_both_paths_produce_the_same_view(address: str) -> None:
    epoch, chain = _node_api_equivalent_of_tracker_fixture()
    tracker_participant = INFERENCE.participant(address)
    assert tracker_participant is not None
    liveness = LivenessState(0, True, None, NOW)
    via_tracker = build_node_view(address, TrackerSnapshot(INFERENCE), now=NOW, epoch=EPOCH, liveness=liveness)
    via_node = build_node_view(
        address,
        NodeApiSnapshot(epoch, chain[address], fetched_at=INFERENCE.cached_at, is_jailed=tracker_participant.is_jailed),
        now=NOW, epoch=EPOCH, liveness=liveness)
    assert (via_tracker.source, via_node.source) == ("tracker", "node_api")
    for name in ("address", "epoch_id", "status", "reasons", "in_set", "registered", "chain_status", "is_jailed",
                 "weight", "network_weight", "weight_share", "models", "inference_url", "counters", "missed_rate",
                 "invalidation_rate", "missed_test", "invalidation_test", "data_age_s", "liveness"):
        assert getattr(via_tracker, name) == getattr(via_node, name), name
    assert [(m.node_id, m.poc_weight) for m in via_tracker.ml_nodes] == [
        (m.node_id, m.poc_weight) for m in via_node.ml_nodes]


def test_node_api_view_with_hardware_and_unregistered() -> None:
    epoch = s.parse_epoch_participants(load("tracker_current_epoch_participants.json"))
    hardware = s.parse_hardware_nodes(load("tracker_hardware_nodes_gonka1sqwpuxk.json"))
    address = "gonka1sqwpuxkspyp483l64knd5rp6qp56ymj4v6ca86"
    chain = s.parse_chain_participant_single({"participant": {"index": address, "status": "ACTIVE",
                                                              "current_epoch_stats": {"inference_count": "50"}}})
    view = build_node_view(address, NodeApiSnapshot(epoch, chain, fetched_at=NOW, hardware_nodes=hardware.nodes),
                           now=NOW, liveness=LivenessState(0, True, None, NOW))
    assert (view.source, view.status, view.weight, view.network_weight) == ("node_api", OK, 43559, 307751)
    assert view.weight_share == Decimal("0.141540")
    assert len(view.ml_nodes) == 12 and all(m.status == HW.INFERENCE for m in view.ml_nodes)
    assert sum(m.poc_weight or 0 for m in view.ml_nodes) == 43559
    assert view.confirmation_poc_ratio is None and view.weight_to_confirm is not None

    stranger = "gonka1tt6mlr3r50uey8kxkktlxv8ht9zyrd4dtnvemu"
    unregistered = build_node_view(stranger, NodeApiSnapshot(epoch, None, fetched_at=NOW, registered=False), now=NOW)
    assert unregistered.status == U and unregistered.reasons == (Reason("not_registered"),)
    registered_idle = build_node_view(stranger, NodeApiSnapshot(epoch, chain, fetched_at=NOW), now=NOW)
    assert registered_idle.status == INA


def test_node_api_view_jail_ready_to_unjail() -> None:
    epoch = s.parse_epoch_participants(load("tracker_current_epoch_participants.json"))
    address = "gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364"
    snap = NodeApiSnapshot(epoch, None, fetched_at=NOW, is_jailed=True, jailed_until=NOW - timedelta(minutes=1))
    view = build_node_view(address, snap, now=NOW)
    assert view.status == J and view.ready_to_unjail is True
    assert [r.code for r in view.reasons] == ["jailed", "unjail_tx_needed"]
