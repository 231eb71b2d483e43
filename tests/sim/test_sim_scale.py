"""5,000 participants: the big bodies answer fast enough for benchmarks; scripted incidents run by themselves."""

import time

import httpx

from minegnk.sim import SimServer, Simulator


def test_five_thousand_participants_answer_quickly():
    with SimServer(participants=5000, speed=0, scripted=False) as server:
        state = httpx.get(f"{server.control_url}/state").json()
        with httpx.Client(timeout=30) as client:
            started = time.perf_counter()
            body = client.get(f"{server.tracker_url}/api/v1/inference/current").json()
            first = time.perf_counter() - started
            started = time.perf_counter()
            again = client.get(f"{server.tracker_url}/api/v1/inference/current")
            cached = time.perf_counter() - started
            members = client.get(f"{server.node_urls[0]}/v1/epochs/current/participants").json()
            page = client.get(f"{server.node_urls[0]}/chain-api/productscience/inference/inference/participant",
                              params={"pagination.limit": 10000}).json()
    assert len(body["participants"]) == state["active_participants"] > 4800
    assert again.status_code == 200
    assert len(members["active_participants"]["participants"]) == state["active_participants"]
    assert page["pagination"]["total"] == "5000" and page["pagination"]["next_key"] is None
    assert first < 5.0, first
    assert cached < 1.0, cached


def test_scripted_incidents_happen_and_spare_the_scenarios():
    sim = Simulator(speed=0, scripted=True)
    scenario_before = {a: sim.participant_state(sim.by_address[a]) for a in sim.scenarios.values()}
    sim.advance(epochs=3)
    kinds = {entry["kind"] for entry in sim.incident_log if entry["source"] == "scripted"}
    assert {"jail", "offline", "miss_requests", "ml_node_failed"} <= kinds
    touched = {entry["address"] for entry in sim.incident_log}
    assert not touched & set(sim.scenarios.values())
    for address, before in scenario_before.items():
        after = sim.participant_state(sim.by_address[address])
        for key in ("chain_status", "in_active_set", "online", "jailed", "failed_ml_nodes", "never_claims"):
            assert after[key] == before[key], (address, key)
