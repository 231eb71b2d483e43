"""Control API: fault injection, incidents and request statistics over real HTTP."""

import httpx
import pytest

from minegnk.sim import SimServer

CHAIN = "/chain-api/productscience/inference/inference"


@pytest.fixture
def server():
    with SimServer(speed=0, scripted=False, fault_timeout_seconds=1.0, fault_slow_seconds=0.2) as s:
        yield s


def fault(server, target, mode, **extra):
    r = httpx.post(f"{server.control_url}/faults", json={"target": target, "mode": mode, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def incident(server, address, kind, **extra):
    r = httpx.post(f"{server.control_url}/incident", json={"address": address, "kind": kind, **extra})
    assert r.status_code == 200, r.text
    return r.json()["participant"]


def tracker_row(server, address):
    body = httpx.get(f"{server.tracker_url}/api/v1/inference/current").json()
    return {p["index"]: p for p in body["participants"]}.get(address)


def test_http500_on_tracker_while_nodes_work(server):
    fault(server, "tracker", "http500")
    r = httpx.get(f"{server.tracker_url}/api/v1/inference/current")
    assert r.status_code == 500 and r.json() == {"detail": "Internal Server Error"}
    assert httpx.get(f"{server.node_urls[0]}/v1/epochs/latest").status_code == 200
    fault(server, "tracker", "ok")
    assert httpx.get(f"{server.tracker_url}/api/v1/inference/current").status_code == 200


def test_one_prefix_down_others_work(server):
    fault(server, "n2", "down")
    codes = [httpx.get(f"{url}/v1/epochs/latest").status_code for url in server.node_urls]
    assert codes == [200, 502, 200]
    fault(server, "nodes", "http500")
    assert [httpx.get(f"{url}/chain-rpc/status").status_code for url in server.node_urls] == [500, 500, 500]
    assert httpx.get(f"{server.tracker_url}/api/v1/timeline").status_code == 200
    fault(server, "all", "ok")
    assert httpx.get(f"{server.control_url}/faults").json() == {}
    assert [httpx.get(f"{url}/v1/epochs/latest").status_code for url in server.node_urls] == [200, 200, 200]


def test_malformed_and_truncated_bodies(server):
    fault(server, "n1", "malformed")
    r = httpx.get(f"{server.node_urls[0]}/v1/epochs/latest")
    assert r.status_code == 200 and "block_height" not in r.json()
    fault(server, "n1", "truncated")
    r = httpx.get(f"{server.node_urls[0]}/v1/epochs/latest")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    fault(server, "n1", "ok")
    assert "block_height" in httpx.get(f"{server.node_urls[0]}/v1/epochs/latest").json()


def test_timeout_and_slow(server):
    fault(server, "tracker", "timeout")  # sleeps fault_timeout_seconds = 1.0
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{server.tracker_url}/api/v1/timeline", timeout=0.3)
    fault(server, "tracker", "timeout", delay_seconds=0.05)
    assert httpx.get(f"{server.tracker_url}/api/v1/timeline", timeout=2).status_code == 200
    fault(server, "n3", "slow")
    r = httpx.get(f"{server.node_urls[2]}/v1/epochs/latest", timeout=5)
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.2


def test_hosts_fault_target(server):
    healthy = httpx.get(f"{server.control_url}/scenarios").json()["healthy"]
    fault(server, "hosts", "down")
    assert httpx.get(f"{server.host_url(healthy)}/v1/versions").status_code == 502
    assert httpx.get(f"{server.node_urls[0]}/v1/epochs/latest").status_code == 200
    fault(server, "hosts", "ok")
    assert httpx.get(f"{server.host_url(healthy)}/health").text == "healthy\n"


def test_bad_fault_request_is_400(server):
    assert httpx.post(f"{server.control_url}/faults", json={"target": "n9", "mode": "down"}).status_code == 400
    assert httpx.post(f"{server.control_url}/faults", json={"target": "n1", "mode": "x"}).status_code == 400


def test_jail_then_ready_then_unjail(server):
    healthy = httpx.get(f"{server.control_url}/scenarios").json()["healthy"]
    incident(server, healthy, "jail", blocks=10)
    row = tracker_row(server, healthy)
    assert row["is_jailed"] is True and row["jailed_until"] and row["ready_to_unjail"] is False
    httpx.post(f"{server.control_url}/advance", json={"blocks": 11})
    assert tracker_row(server, healthy)["ready_to_unjail"] is True
    incident(server, healthy, "unjail")
    row = tracker_row(server, healthy)
    assert (row["is_jailed"], row["jailed_until"], row["ready_to_unjail"]) == (False, None, False)


def test_offline_and_online(server):
    healthy = httpx.get(f"{server.control_url}/scenarios").json()["healthy"]
    incident(server, healthy, "offline")
    assert httpx.get(f"{server.host_url(healthy)}/v1/versions").status_code == 503
    assert tracker_row(server, healthy)["node_healthy"] is False
    incident(server, healthy, "online")
    assert httpx.get(f"{server.host_url(healthy)}/v1/versions").status_code == 200
    assert tracker_row(server, healthy)["node_healthy"] is True


def test_offline_hang_mode_times_out_the_client(server):
    server.sim.offline_hang_seconds = 1.0
    healthy = httpx.get(f"{server.control_url}/scenarios").json()["healthy"]
    incident(server, healthy, "offline", mode="hang")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{server.host_url(healthy)}/v1/versions", timeout=0.3)


def test_miss_requests_inactive_ml_failed_ramping(server):
    scenarios = httpx.get(f"{server.control_url}/scenarios").json()
    healthy = scenarios["healthy"]
    before = tracker_row(server, healthy)["current_epoch_stats"]
    incident(server, healthy, "miss_requests")
    httpx.post(f"{server.control_url}/advance", json={"blocks": 40})
    after = tracker_row(server, healthy)
    assert int(after["current_epoch_stats"]["missed_requests"]) > int(before["missed_requests"]) + 5
    assert int(after["current_epoch_stats"]["inference_count"]) >= int(before["inference_count"])
    assert after["missed_rate"] > 0.1

    incident(server, healthy, "ml_node_failed")
    hw = httpx.get(f"{server.node_urls[0]}{CHAIN}/hardware_nodes/{healthy}").json()
    assert hw["nodes"]["hardware_nodes"][0]["status"] == "FAILED"

    incident(server, healthy, "ramping")
    assert tracker_row(server, healthy)["status"] == "RAMPING"

    incident(server, healthy, "inactive")
    assert tracker_row(server, healthy) is None
    details = httpx.get(f"{server.tracker_url}/api/v1/participants/{healthy}", params={"epoch_id": 105})
    assert details.status_code == 404
    members = httpx.get(f"{server.node_urls[0]}/v1/epochs/current/participants").json()
    assert healthy not in {p["index"] for p in members["active_participants"]["participants"]}
    chain = httpx.get(f"{server.node_urls[0]}{CHAIN}/participant/{healthy}").json()["participant"]
    assert chain["status"] == "INACTIVE"

    incident(server, healthy, "reset")
    row = tracker_row(server, healthy)
    assert row is not None and row["status"] == "ACTIVE"


def test_unclaimed_incident_and_unknown_address(server):
    healthy = httpx.get(f"{server.control_url}/scenarios").json()["healthy"]
    url = f"{server.node_urls[0]}{CHAIN}/epoch_performance_summary/104/{healthy}"
    assert httpx.get(url).json()["epochPerformanceSummary"]["claimed"] is True
    incident(server, healthy, "unclaimed")
    assert httpx.get(url).json()["epochPerformanceSummary"]["claimed"] is False
    r = httpx.post(f"{server.control_url}/incident", json={"address": "gonka1nobody", "kind": "jail"})
    assert r.status_code == 404
    r = httpx.post(f"{server.control_url}/incident", json={"address": healthy, "kind": "explode"})
    assert r.status_code == 400


def test_stats_count_by_template_and_prefix(server):
    assert httpx.post(f"{server.control_url}/stats/reset").status_code == 200
    healthy = httpx.get(f"{server.control_url}/scenarios").json()["healthy"]
    httpx.get(f"{server.tracker_url}/api/v1/inference/current")
    httpx.get(f"{server.node_urls[0]}/v1/epochs/latest")
    httpx.get(f"{server.node_urls[1]}/v1/epochs/latest")
    httpx.get(f"{server.node_urls[1]}{CHAIN}/participant/{healthy}")
    httpx.get(f"{server.host_url(healthy)}/v1/versions")
    stats = httpx.get(f"{server.control_url}/stats").json()
    assert stats["total"] == 5
    assert stats["by_template"]["/v1/epochs/latest"] == 2
    assert stats["by_template"][f"{CHAIN}/participant/{{address}}"] == 1
    assert stats["by_prefix"] == {"tracker": 1, "n1": 1, "n2": 2, "hosts": 1}
    assert stats["by_prefix_template"]["n2 /v1/epochs/latest"] == 1
    httpx.post(f"{server.control_url}/stats/reset")
    assert httpx.get(f"{server.control_url}/stats").json()["total"] == 0


def test_state_endpoint(server):
    state = httpx.get(f"{server.control_url}/state").json()
    assert state["epoch"] == 105 and state["phase"] == "Inference"
    assert state["node_prefixes"] == ["n1", "n2", "n3"]
    assert state["participants"] == 60
