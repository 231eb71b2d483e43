"""Every recorded upstream fixture parses to the values it really contains; malformed payloads are rejected whole."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from minegnk.upstream import schemas as s
from minegnk.upstream.http import decode_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
ADDR_14CU = "gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364"


def load(name: str) -> Any:
    return decode_json((FIXTURES / name).read_bytes())


def test_every_fixture_is_covered_by_a_test() -> None:
    covered = {
        "mine_gonka-epochs-latest.json", "mine_gonka-participants.json", "mine_hyperfusion-inference.json",
        "tracker_authz_grants_09ake364.json", "tracker_current_epoch_participants.json",
        "tracker_discovered_urls.json", "tracker_hardware_nodes_gonka1sqwpuxk.json", "tracker_latest_height.json",
        "tracker_settle_amounts_all.json",
    } | {f"tracker_epoch_performance_summary_{n}_gonka14cu38x.json" for n in (51, 52, 53, 54)}
    assert {p.name for p in FIXTURES.glob("*.json")} == covered


# ------------------------------------------------------------------------------------------ tracker


def test_tracker_inference_current() -> None:
    r = s.parse_inference_response(load("mine_hyperfusion-inference.json"))
    assert (r.epoch_id, r.height, r.is_current) == (105, 1634323, True)
    assert len(r.participants) == 3  # recording truncated to 3 of ~477
    assert r.cached_at == datetime(2025, 12, 8, 13, 56, 38, 900851, tzinfo=UTC)  # naive UTC -> aware
    assert r.current_block_timestamp == datetime(2025, 12, 8, 13, 56, 28, 426061, tzinfo=UTC)  # ns truncated
    assert r.avg_block_time == Decimal("6.02")
    assert r.total_assigned_rewards_gnk is None
    assert (r.next_poc_start_block, r.set_new_validators_block) == (1642801, 1643106)
    assert r.total_weight == 3965 + 521 + 1065

    first = r.participant("gonka1qzmhx83xnamk0uqup3lxpf2te9karrwjm9cjh7")
    assert first is not None
    assert first.weight == 3965
    assert first.stats.earned_coins == 3805 and isinstance(first.stats.earned_coins, int)
    assert (first.stats.inference_count, first.stats.validated_inferences) == (6, 5)
    assert first.status == s.ParticipantStatus.ACTIVE
    assert first.is_jailed is False and first.node_healthy is True
    assert first.node_health_checked_at == datetime(2025, 12, 8, 13, 55, 10, 619478, tzinfo=UTC)
    assert first.ml_nodes_map == {"node1": 3965}
    assert first.confirmation_poc_ratio == Decimal(1)
    assert first.models == ("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",)

    second = r.participants[1]
    assert second.stats.earned_coins == 3935
    assert second.is_jailed is None and second.ready_to_unjail is None  # null kept as unknown
    assert second.consensus_key_mismatch is None and second.validator_consensus_key is None
    assert second.weight_to_confirm == 0 and second.confirmation_poc_ratio is None

    third = r.participants[2]
    assert third.stats.earned_coins == 10852
    assert (third.stats.missed_requests, third.stats.inference_count) == (2, 35)
    assert third.missed_rate == Decimal("0.0541")


def _synthetic_details() -> dict[str, Any]:
    """SYNTHETIC (no real recording exists, doc §5): shaped from doc §1.3 ParticipantDetailsResponse."""
    participant = copy.deepcopy(load("mine_hyperfusion-inference.json")["participants"][0])
    return {
        "participant": participant,
        "rewards": [
            {"epoch_id": 104, "assigned_reward_gnk": 1234, "claimed": False},
            {"epoch_id": 103, "assigned_reward_gnk": 0, "claimed": True},
        ],
        "seed": {"participant": participant["index"], "epoch_index": 105, "signature": "ab"},
        "warm_keys": [{"grantee_address": "gonka1tt6mlr3r50uey8kxkktlxv8ht9zyrd4dtnvemu",
                       "granted_at": "2026-10-13T11:37:45.826503545Z"}],
        "ml_nodes": [{"local_id": "node1", "status": "INFERENCE", "models": ["m"],
                      "hardware": [{"type": "NVIDIA H100 | 80GB", "count": 8}], "host": "10.0.0.1", "port": "8080",
                      "poc_weight": 3965}],
        "some_future_field": {"ignored": True},
    }


def test_tracker_participant_details_synthetic() -> None:
    d = s.parse_participant_details(_synthetic_details())
    assert d.participant.weight == 3965
    assert [(r.epoch_id, r.assigned_reward_gnk, r.claimed) for r in d.rewards] == [(104, 1234, False), (103, 0, True)]
    assert d.warm_keys[0].expires_at == datetime(2026, 10, 13, 11, 37, 45, 826503, tzinfo=UTC)
    node = d.ml_nodes[0]
    assert (node.local_id, node.status, node.poc_weight) == ("node1", s.HardwareNodeStatus.INFERENCE, 3965)
    assert node.hardware == (s.Hardware("NVIDIA H100 | 80GB", 8),)


def test_tracker_inferences_timeline_models_synthetic() -> None:
    """SYNTHETIC payloads per doc §1.3 (endpoints 5-7 have no real recording)."""
    inferences = s.parse_participant_inferences({
        "epoch_id": 105, "participant_id": ADDR_14CU, "cached_at": None,
        "successful": [{"inference_id": "abc", "status": "FINISHED", "start_block_height": "1634000",
                        "start_block_timestamp": "1765201000000", "validated_by": [ADDR_14CU],
                        "prompt_payload": "secret user text", "prompt_token_count": "12",
                        "completion_token_count": "345", "model": "Qwen/Qwen3-32B-FP8"}],
        "expired": [], "invalidated": [],
    })
    item = inferences.successful[0]
    assert (item.start_block_height, item.prompt_token_count, item.completion_token_count) == (1634000, 12, 345)
    assert item.start_block_timestamp == datetime.fromtimestamp(1765201000, tz=UTC)
    assert not hasattr(item, "prompt_payload")  # only an excerpt is kept
    assert (item.prompt_excerpt, item.response_excerpt) == ("secret user text", None)
    assert inferences.cached_at is None and inferences.expired == ()

    stages = load("mine_gonka-epochs-latest.json")["epoch_stages"]
    timeline = s.parse_timeline({
        "current_block": {"height": 1634323, "timestamp": "2025-12-08T13:56:28.426061722Z"},
        "reference_block": {"height": 1624323, "timestamp": "2025-12-07T21:13:00Z"},
        "avg_block_time": 6.02, "events": [{"block_height": 1000, "description": "Money Transfer Enabled",
                                            "occurred": True}],
        "current_epoch_start": 1627410, "current_epoch_index": 105, "epoch_length": 15391,
        "epoch_stages": stages, "next_epoch_stages": None,
    })
    assert timeline.epoch_length == 15391 and timeline.epoch_stages is not None
    assert timeline.epoch_stages.set_new_validators == 1627715
    assert timeline.avg_block_time == Decimal("6.02")

    models = s.parse_models_response({
        "epoch_id": 105, "height": 1634323, "cached_at": "2025-12-08T13:56:38.900851", "is_current": True,
        "models": [{"id": "Qwen/Qwen3-32B-FP8", "total_weight": 123, "participant_count": 4, "v_ram": "80",
                    "throughput_per_nonce": "1000", "units_of_compute_per_token": "100", "model_args": ["--x"],
                    "validation_threshold": {"value": "85", "exponent": -2}}],
        "stats": [{"model": "Qwen/Qwen3-32B-FP8", "ai_tokens": "123456789012", "inferences": 42}],
    })
    assert models.models[0].validation_threshold == s.ValidationThreshold(85, -2)
    assert models.stats[0].ai_tokens == 123456789012


# ------------------------------------------------------------------------------------------ node API


def test_inference_payloads_are_kept_as_bounded_excerpts_and_never_reject_the_list() -> None:
    long = "x" * (s.PAYLOAD_EXCERPT_CHARS + 500)
    inferences = s.parse_participant_inferences({
        "epoch_id": 105, "participant_id": ADDR_14CU, "cached_at": None, "successful": [
            {"inference_id": "a", "status": "FINISHED", "start_block_height": "1", "validated_by": [],
             "prompt_payload": long, "response_payload": ""},
            {"inference_id": "b", "status": "FINISHED", "start_block_height": "2", "validated_by": [],
             "prompt_payload": {"messages": []}, "response_payload": 7}],
        "expired": [], "invalidated": [],
    })
    first, second = inferences.successful
    assert first.prompt_excerpt == "x" * s.PAYLOAD_EXCERPT_CHARS + "…" and first.response_excerpt is None
    assert (second.prompt_excerpt, second.response_excerpt) == (None, None)  # odd payloads: shown as absent


def test_epochs_latest() -> None:
    e = s.parse_epochs_latest(load("mine_gonka-epochs-latest.json"))
    assert (e.block_height, e.epoch_index, e.latest_epoch.poc_start_block_height) == (1634326, 105, 1627410)
    assert e.phase == s.EpochPhase.INFERENCE and not e.is_poc_phase
    assert e.epoch_length == 15391
    assert e.epoch_stages is not None and e.next_epoch_stages is not None
    assert e.epoch_stages.next_poc_start == 1642801 and e.next_epoch_stages.epoch_index == 106
    assert e.epoch_stages.poc_exchange_window == s.BlockWindow(1627411, 1627475)
    assert e.is_confirmation_poc_active is False


def test_current_participants_epoch_56_complete() -> None:
    p = s.parse_epoch_participants(load("tracker_current_epoch_participants.json"))
    assert (p.epoch_id, p.poc_start_block_height, p.effective_block_height) == (56, 873251, 873438)
    assert len(p.participants) == 26
    assert p.total_weight == 307751
    assert (p.block_height, p.block_time) == (873437, datetime(2025, 10, 18, 8, 56, 30, 707918, tzinfo=UTC))
    me = p.participant(ADDR_14CU)
    assert me is not None and me.weight == 37778
    assert me.inference_url == "http://69.48.159.157:8000"
    assert [g.model for g in me.ml_node_groups] == ["Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", "Qwen/Qwen3-32B-FP8"]
    assert [len(g.nodes) for g in me.ml_node_groups] == [15, 2]
    assert me.ml_nodes_map["node8"] == 1793
    assert me.ml_node_groups[0].nodes[0].timeslot_allocation == (True, False)
    assert me.weight_to_confirm == 20588  # Σ poc_weight of nodes with timeslot_allocation[1] == false


def test_current_participants_truncated_recording() -> None:
    p = s.parse_epoch_participants(load("mine_gonka-participants.json"))
    assert (p.epoch_id, len(p.participants), p.effective_block_height) == (105, 3, 1627597)
    assert p.block_height is None  # "block": "[truncated]" in this recording
    assert [x.weight for x in p.participants] == [2128, 9512, 1034]


@pytest.mark.parametrize(
    ("epoch", "inferences", "missed", "rewarded", "validated", "invalidated", "claimed"),
    [
        (51, 0, 0, 0, 0, 0, False),
        (52, 0, 0, 0, 0, 0, False),
        (53, 831, 24, 48_552_031_736_571, 755, 2, True),
        (54, 33, 1, 50_842_445_416_245, 25, 1, True),
    ],
)
def test_epoch_performance_summaries(epoch, inferences, missed, rewarded, validated, invalidated, claimed) -> None:
    summary = s.parse_epoch_performance_summary(
        load(f"tracker_epoch_performance_summary_{epoch}_gonka14cu38x.json")
    )
    assert summary.epoch_index == epoch and summary.participant_id == ADDR_14CU
    assert (summary.inference_count, summary.missed_requests) == (inferences, missed)
    assert summary.rewarded_coins == rewarded and isinstance(summary.rewarded_coins, int)
    assert summary.earned_coins == 0  # work coins were 0 before epoch 90
    assert (summary.validated_inferences, summary.invalidated_inferences, summary.claimed) == (
        validated, invalidated, claimed)
    assert summary.total_coins == rewarded


def test_hardware_nodes() -> None:
    h = s.parse_hardware_nodes(load("tracker_hardware_nodes_gonka1sqwpuxk.json"))
    assert h.participant == "gonka1sqwpuxkspyp483l64knd5rp6qp56ymj4v6ca86"
    assert len(h.nodes) == 12
    assert all(n.hardware == () for n in h.nodes)  # mainnet hosts rarely self-report hardware
    assert h.nodes[0] == s.HardwareNode(
        "cluster1-ml-01", s.HardwareNodeStatus.INFERENCE, ("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",), (),
        "176.56.204.32", "8080")


def test_authz_grants_give_one_warm_key() -> None:
    g = s.parse_authz_grants(load("tracker_authz_grants_09ake364.json"))
    assert len(g.grants) == 24
    assert g.warm_keys() == ("gonka1tt6mlr3r50uey8kxkktlxv8ht9zyrd4dtnvemu",)
    assert g.grants[0].expiration == datetime(2026, 10, 13, 11, 37, 45, 826503, tzinfo=UTC)


def test_settle_amounts_empty_list() -> None:
    assert s.parse_settle_amounts(load("tracker_settle_amounts_all.json")) == ()


def test_derived_fixtures_are_not_api_shapes() -> None:
    # tracker_latest_height.json is derived ({height, source}), not a raw /chain-rpc/status: must not parse as one.
    with pytest.raises(s.SchemaError):
        s.parse_chain_status(load("tracker_latest_height.json"))
    urls = load("tracker_discovered_urls.json")["urls"]
    assert len(urls) == 25 and all(u.startswith("http") for u in urls)


def test_chain_status_synthetic_cometbft_envelope() -> None:
    payload = {"jsonrpc": "2.0", "id": -1, "result": {"node_info": {}, "sync_info": {
        "latest_block_hash": "AB", "latest_block_height": "887711",
        "latest_block_time": "2025-10-19T10:00:00.123456789Z", "catching_up": False}}}
    status = s.parse_chain_status(payload)
    assert status.latest_block_height == 887711 and status.catching_up is False
    assert status.latest_block_time == datetime(2025, 10, 19, 10, 0, 0, 123456, tzinfo=UTC)


def test_chain_participant_single_and_list_synthetic() -> None:
    """SYNTHETIC, per doc §2.2 #3 (int64 as strings, enum names)."""
    record = {"index": ADDR_14CU, "address": ADDR_14CU, "weight": -1, "join_time": "1755000000000",
              "join_height": "100", "last_inference_time": "0", "inference_url": "", "status": "RAMPING",
              "coin_balance": "123456789012345678", "validator_key": "", "consecutive_invalid_inferences": "0",
              "worker_public_key": "", "epochs_completed": 7,
              "current_epoch_stats": {"inference_count": "3", "earned_coins": "42"}}
    single = s.parse_chain_participant_single({"participant": record})
    assert single.status == s.ParticipantStatus.RAMPING
    assert single.coin_balance == 123456789012345678  # > 2**53: exact as int
    assert single.last_inference_time is None  # "0" = never
    assert single.stats == s.EpochCounters(inference_count=3, earned_coins=42)  # omitted counters -> 0
    listing = s.parse_chain_participant_list(
        {"participant": [record, {**record, "index": "gonka1x", "status": "SOMETHING_NEW"}],
         "pagination": {"next_key": None, "total": "2"}, "block_height": "887711"})
    assert listing.total == 2 and listing.next_key is None and listing.block_height == 887711
    assert listing.participants[1].status == s.ParticipantStatus.UNRECOGNIZED


# ------------------------------------------------------------------------------------------ tolerance


def test_dapi_omitempty_zero_fields_default() -> None:
    payload = load("mine_gonka-participants.json")
    node = payload["active_participants"]["participants"][0]["ml_nodes"][0]["ml_nodes"][0]
    del node["poc_weight"]  # the dapi omits zero values
    del payload["active_participants"]["participants"][0]["inference_url"]
    p = s.parse_epoch_participants(payload)
    assert p.participants[0].ml_nodes[0].poc_weight == 0
    assert p.participants[0].inference_url == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-12-08T13:55:10.619478", datetime(2025, 12, 8, 13, 55, 10, 619478, tzinfo=UTC)),
        ("2025-12-08T13:56:28.426061722Z", datetime(2025, 12, 8, 13, 56, 28, 426061, tzinfo=UTC)),
        ("2025-12-08T15:56:28+02:00", datetime(2025, 12, 8, 13, 56, 28, tzinfo=UTC)),
        ("2025-12-08T13:56:28.5Z", datetime(2025, 12, 8, 13, 56, 28, 500000, tzinfo=UTC)),
        ("1970-01-01T00:00:00Z", None),
        ("0001-01-01T00:00:00Z", None),
        (None, None),
    ],
)
def test_timestamps(raw, expected) -> None:
    assert s.parse_timestamp(raw) == expected


def test_unknown_enum_values_fall_back() -> None:
    assert s.parse_enum(s.EpochPhase, "PoCConfirm") == s.EpochPhase.UNRECOGNIZED
    assert s.parse_enum(s.HardwareNodeStatus, "HARDWARE_NODE_STATUS_FAILED") == s.HardwareNodeStatus.FAILED
    assert s.parse_enum(s.ParticipantStatus, None) is None


# ------------------------------------------------------------------------------------------ malformed


def _break(name: str, mutate) -> Any:
    payload = load(name)
    mutate(payload)
    return payload


MALFORMED = [
    ("participants missing", s.parse_inference_response, "mine_hyperfusion-inference.json",
     lambda d: d.pop("participants")),
    ("epoch_id missing", s.parse_inference_response, "mine_hyperfusion-inference.json", lambda d: d.pop("epoch_id")),
    ("weight wrong type (last participant)", s.parse_inference_response, "mine_hyperfusion-inference.json",
     lambda d: d["participants"][2].update(weight="lots")),
    ("counter not an integer", s.parse_inference_response, "mine_hyperfusion-inference.json",
     lambda d: d["participants"][1]["current_epoch_stats"].update(earned_coins="12.5")),
    ("index missing", s.parse_inference_response, "mine_hyperfusion-inference.json",
     lambda d: d["participants"][0].pop("index")),
    ("participants not a list", s.parse_epoch_participants, "tracker_current_epoch_participants.json",
     lambda d: d["active_participants"].update(participants={"a": 1})),
    ("epoch_id missing", s.parse_epoch_participants, "tracker_current_epoch_participants.json",
     lambda d: d["active_participants"].pop("epoch_id")),
    ("node index missing (26th)", s.parse_epoch_participants, "tracker_current_epoch_participants.json",
     lambda d: d["active_participants"]["participants"][25].pop("index")),
    ("weight is a bool", s.parse_epoch_participants, "tracker_current_epoch_participants.json",
     lambda d: d["active_participants"]["participants"][3].update(weight=True)),
    ("epoch_length missing", s.parse_epochs_latest, "mine_gonka-epochs-latest.json",
     lambda d: d["epoch_params"].pop("epoch_length")),
    ("block_height is text", s.parse_epochs_latest, "mine_gonka-epochs-latest.json",
     lambda d: d.update(block_height="soon")),
    ("wrapper is snake/missing", s.parse_epoch_performance_summary,
     "tracker_epoch_performance_summary_53_gonka14cu38x.json", lambda d: d.update(x=d.pop("epochPerformanceSummary"))),
    ("coins float", s.parse_epoch_performance_summary, "tracker_epoch_performance_summary_53_gonka14cu38x.json",
     lambda d: d["epochPerformanceSummary"].update(rewarded_coins=Decimal("4.8e13") + Decimal("0.5"))),
    ("hardware list is an object", s.parse_hardware_nodes, "tracker_hardware_nodes_gonka1sqwpuxk.json",
     lambda d: d["nodes"].update(hardware_nodes={"x": 1})),
]


@pytest.mark.parametrize(("label", "parse", "name", "mutate"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_payload_raises_schema_error(label, parse, name, mutate) -> None:
    with pytest.raises(s.SchemaError):
        parse(_break(name, mutate))


@pytest.mark.parametrize("payload", [None, [], "text", 42, {}])
def test_non_object_payloads_rejected(payload) -> None:
    for parse in (s.parse_inference_response, s.parse_epoch_participants, s.parse_epochs_latest,
                  s.parse_epoch_performance_summary, s.parse_hardware_nodes, s.parse_chain_status,
                  s.parse_participant_details, s.parse_chain_participant_single):
        with pytest.raises(s.SchemaError):
            parse(payload)


def test_truncated_json_is_not_decodable() -> None:
    raw = (FIXTURES / "tracker_current_epoch_participants.json").read_bytes()
    with pytest.raises(ValueError):
        decode_json(raw[: len(raw) // 2])
