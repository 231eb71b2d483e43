"""The simulator's JSON has the key sets of the recorded upstream responses (tests/fixtures/upstream)."""

import json
from pathlib import Path

import httpx
import pytest

from minegnk.sim import SimServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
CHAIN = "/chain-api/productscience/inference/inference"


def load(name):
    return json.loads((FIXTURES / name).read_text())


def key_tree(value):
    """Nested key structure: dicts -> {key: subtree}, lists -> subtree of the first element."""
    if isinstance(value, dict):
        return {k: key_tree(v) for k, v in value.items()}
    if isinstance(value, list) and value:
        return [key_tree(value[0])]
    return None


@pytest.fixture(scope="module")
def server():
    with SimServer(speed=0, scripted=False) as s:
        yield s


@pytest.fixture(scope="module")
def scenarios(server):
    return httpx.get(f"{server.control_url}/scenarios").json()


def test_tracker_inference_current_matches_recorded_keys(server):
    body = httpx.get(f"{server.tracker_url}/api/v1/inference/current").json()
    recorded = load("mine_hyperfusion-inference.json")
    recorded.pop("_meta")
    assert set(body) == set(recorded)
    for participant in body["participants"]:
        assert set(participant) == set(recorded["participants"][0])
        assert set(participant["current_epoch_stats"]) == set(recorded["participants"][0]["current_epoch_stats"])
        assert all(isinstance(v, str) for v in participant["current_epoch_stats"].values())
        assert isinstance(participant["missed_rate"], float)
    assert body["total_assigned_rewards_gnk"] is None
    assert body["is_current"] is True
    assert "T" in body["cached_at"] and not body["cached_at"].endswith("Z") and "+" not in body["cached_at"]
    assert body["current_block_timestamp"].endswith("Z")
    # some hosts have no staking validator -> null jail fields, like the recorded sample
    assert any(p["is_jailed"] is None for p in body["participants"])


def test_epochs_latest_matches_recorded_key_tree(server):
    for url in server.node_urls:
        body = httpx.get(f"{url}/v1/epochs/latest").json()
        assert key_tree(body) == key_tree(load("mine_gonka-epochs-latest.json"))
        stages = body["epoch_stages"]
        assert stages["poc_start"] < stages["poc_validation_end"] < stages["next_poc_start"]
        assert stages["next_poc_start"] - stages["poc_start"] == body["epoch_params"]["epoch_length"] == 120


def test_epoch_participants_match_recorded_shape(server):
    body = httpx.get(f"{server.node_urls[0]}/v1/epochs/current/participants").json()
    recorded = load("tracker_current_epoch_participants.json")
    assert set(recorded) <= set(body)
    assert set(body["active_participants"]) == set(recorded["active_participants"])
    entry_keys = set(recorded["active_participants"]["participants"][0])
    addresses = set()
    for entry in body["active_participants"]["participants"]:
        assert set(entry) == entry_keys
        assert set(entry["ml_nodes"][0]["ml_nodes"][0]) <= {"node_id", "poc_weight", "timeslot_allocation"}
        assert isinstance(entry["weight"], int)
        addresses.add(entry["index"])
    # the 26 recorded epoch-56 hosts keep their addresses and weights
    recorded_weights = {p["index"]: p["weight"] for p in recorded["active_participants"]["participants"]}
    got = {e["index"]: e["weight"] for e in body["active_participants"]["participants"]}
    assert {a: got[a] for a in recorded_weights} == recorded_weights
    assert set(body["validators"][0]) == set(recorded["validators"][0])


def test_summary_and_hardware_match_recorded_keys(server, scenarios):
    address = scenarios["healthy"]
    body = httpx.get(f"{server.node_urls[1]}{CHAIN}/epoch_performance_summary/104/{address}").json()
    recorded = load("tracker_epoch_performance_summary_53_gonka14cu38x.json")
    assert key_tree(body) == key_tree(recorded)
    assert all(isinstance(v, str) for k, v in body["epochPerformanceSummary"].items() if k != "claimed")
    hw = httpx.get(f"{server.node_urls[1]}{CHAIN}/hardware_nodes/{address}").json()
    assert key_tree(hw)["nodes"].keys() == key_tree(load("tracker_hardware_nodes_gonka1sqwpuxk.json"))["nodes"].keys()
    assert set(hw["nodes"]["hardware_nodes"][0]) == set(
        load("tracker_hardware_nodes_gonka1sqwpuxk.json")["nodes"]["hardware_nodes"][0])


def test_recorded_summaries_are_served_verbatim(server):
    recorded = load("tracker_epoch_performance_summary_54_gonka14cu38x.json")
    body = httpx.get(
        f"{server.node_urls[0]}{CHAIN}/epoch_performance_summary/54/gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364"
    ).json()
    assert body == recorded


def test_chain_participant_shapes_and_404(server, scenarios):
    url = server.node_urls[2]
    one = httpx.get(f"{url}{CHAIN}/participant/{scenarios['healthy']}").json()["participant"]
    assert set(one) == {
        "index", "address", "weight", "join_time", "join_height", "last_inference_time", "inference_url", "status",
        "coin_balance", "validator_key", "consecutive_invalid_inferences", "worker_public_key",
        "epochs_completed", "current_epoch_stats",
    }
    assert isinstance(one["join_height"], str) and isinstance(one["epochs_completed"], int)
    assert one["inference_url"] == f"{server.base_url}/host/{scenarios['healthy']}"
    missing = httpx.get(f"{url}{CHAIN}/participant/gonka1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq")
    assert missing.status_code == 404
    assert missing.json()["code"] == 5 and missing.json()["details"] == []


def test_chain_participant_pagination_walks_all_registered(server):
    url = f"{server.node_urls[0]}{CHAIN}/participant"
    first = httpx.get(url, params={"pagination.limit": 25}).json()
    assert first["pagination"]["total"] == "60"
    seen = [p["index"] for p in first["participant"]]
    key = first["pagination"]["next_key"]
    while key:
        page = httpx.get(url, params={"pagination.limit": 25, "pagination.key": key}).json()
        seen += [p["index"] for p in page["participant"]]
        key = page["pagination"]["next_key"]
    assert len(seen) == len(set(seen)) == 60
    assert isinstance(first["block_height"], str)


def test_unsettled_epoch_summary_is_404_code_5(server, scenarios):
    r = httpx.get(f"{server.node_urls[0]}{CHAIN}/epoch_performance_summary/105/{scenarios['healthy']}")
    assert r.status_code == 404 and r.json()["code"] == 5


def test_history_backfill_has_60_settled_epochs(server, scenarios):
    address = scenarios["healthy"]
    with httpx.Client(base_url=server.node_urls[0]) as client:
        found = [client.get(f"{CHAIN}/epoch_performance_summary/{e}/{address}").status_code for e in range(45, 105)]
        assert found == [200] * 60
        assert client.get(f"{CHAIN}/epoch_performance_summary/44/{address}").status_code == 404
        before_grace = client.get(f"{CHAIN}/epoch_performance_summary/80/{address}").json()
        after_grace = client.get(f"{CHAIN}/epoch_performance_summary/95/{address}").json()
    assert before_grace["epochPerformanceSummary"]["earned_coins"] == "0"
    assert int(after_grace["epochPerformanceSummary"]["earned_coins"]) > 0
    # deterministic from the seed
    with SimServer(speed=0, scripted=False) as other:
        again = httpx.get(f"{other.node_urls[0]}{CHAIN}/epoch_performance_summary/95/{address}").json()
    assert again == after_grace


def test_tracker_details_inferences_timeline_models(server, scenarios):
    base = f"{server.tracker_url}/api/v1"
    details = httpx.get(f"{base}/participants/{scenarios['healthy']}", params={"epoch_id": 105}).json()
    assert set(details) == {"participant", "rewards", "seed", "warm_keys", "ml_nodes"}
    assert [r["epoch_id"] for r in details["rewards"]] == [104, 103, 102, 101, 100]
    assert all(isinstance(r["assigned_reward_gnk"], int) for r in details["rewards"])
    assert set(details["ml_nodes"][0]) == {"local_id", "status", "models", "hardware", "host", "port", "poc_weight"}
    assert httpx.get(f"{base}/participants/{scenarios['healthy']}").status_code == 422
    inferences = httpx.get(f"{base}/participants/{scenarios['healthy']}/inferences", params={"epoch_id": 105}).json()
    assert set(inferences) == {"epoch_id", "participant_id", "cached_at", "successful", "expired", "invalidated"}
    old = httpx.get(f"{base}/participants/{scenarios['healthy']}/inferences", params={"epoch_id": 90}).json()
    assert old["cached_at"] is None and old["successful"] == []
    timeline = httpx.get(f"{base}/timeline").json()
    assert timeline["current_epoch_index"] == 105 and timeline["epoch_length"] == 120
    models = httpx.get(f"{base}/models/current").json()
    assert models["models"] and set(models["stats"][0]) == {"model", "ai_tokens", "inferences"}


def test_scenarios_cover_every_portal_status(server, scenarios):
    assert set(scenarios) == {"healthy", "healthy_ramping", "jailed", "offline", "unhealthy_missed",
                              "unhealthy_ml_failed", "inactive", "unclaimed_reward"}
    current = httpx.get(f"{server.tracker_url}/api/v1/inference/current").json()
    by_address = {p["index"]: p for p in current["participants"]}
    assert by_address[scenarios["healthy"]]["status"] == "ACTIVE"
    assert by_address[scenarios["healthy"]]["is_jailed"] is False
    assert by_address[scenarios["healthy"]]["node_healthy"] is True
    assert by_address[scenarios["healthy_ramping"]]["status"] == "RAMPING"
    assert by_address[scenarios["jailed"]]["is_jailed"] is True
    assert by_address[scenarios["jailed"]]["jailed_until"].endswith("Z")
    assert by_address[scenarios["offline"]]["node_healthy"] is False
    assert httpx.get(f"{server.host_url(scenarios['offline'])}/v1/versions").status_code == 503
    assert httpx.get(f"{server.host_url(scenarios['healthy'])}/v1/versions").status_code == 200
    assert by_address[scenarios["unhealthy_missed"]]["missed_rate"] > 0.3
    assert scenarios["inactive"] not in by_address
    registered = httpx.get(f"{server.node_urls[0]}{CHAIN}/participant/{scenarios['inactive']}")
    assert registered.status_code == 200 and registered.json()["participant"]["status"] == "INACTIVE"
    hw = httpx.get(f"{server.node_urls[0]}{CHAIN}/hardware_nodes/{scenarios['unhealthy_ml_failed']}").json()
    assert "FAILED" in {n["status"] for n in hw["nodes"]["hardware_nodes"]}
    unclaimed = httpx.get(
        f"{server.node_urls[0]}{CHAIN}/epoch_performance_summary/104/{scenarios['unclaimed_reward']}").json()
    assert int(unclaimed["epochPerformanceSummary"]["rewarded_coins"]) > 0
    assert unclaimed["epochPerformanceSummary"]["claimed"] is False
    rpc = httpx.get(f"{server.node_urls[0]}/chain-rpc/status").json()
    assert rpc["result"]["sync_info"]["latest_block_height"] == str(current["current_block_height"])
