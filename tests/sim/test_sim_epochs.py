"""Time, epoch rollover and settlement over HTTP, with reward values computed independently here."""

from decimal import Decimal, localcontext

import httpx
import pytest

from minegnk.sim import SimServer

CHAIN = "/chain-api/productscience/inference/inference"


def fixed_reward(epoch: int) -> int:
    with localcontext() as ctx:
        ctx.prec = 50
        return int(Decimal(323_000_000_000_000) * (Decimal("-0.000475") * (epoch - 1)).exp())


@pytest.fixture
def server():
    with SimServer(speed=0, scripted=False) as s:
        yield s


def advance(server, **body):
    r = httpx.post(f"{server.control_url}/advance", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_fixed_reward_matches_recorded_epoch_56():
    # upstream-apis.md §3.1: epoch 56, weight 37,778 of 307,751 -> 38,627,452,617,213 ngonka
    assert fixed_reward(56) * 37_778 // 307_751 == 38_627_452_617_213


def test_rollover_settles_rewards_with_exact_integers(server):
    node = server.node_urls[0]
    scenarios = httpx.get(f"{server.control_url}/scenarios").json()
    members = httpx.get(f"{node}/v1/epochs/current/participants").json()["active_participants"]["participants"]
    weights = {m["index"]: m.get("weight", 0) for m in members}
    total = sum(weights.values())
    assert httpx.get(f"{node}{CHAIN}/epoch_performance_summary/105/{scenarios['healthy']}").status_code == 404

    before = httpx.get(f"{node}/v1/epochs/latest").json()
    state = advance(server, epochs=1)
    after = httpx.get(f"{node}/v1/epochs/latest").json()
    assert after["latest_epoch"]["index"] == 106 == state["epoch"]
    assert after["block_height"] - before["block_height"] == 120
    assert after["phase"] == "Inference"

    expected_reward = fixed_reward(105)
    paid = 0
    with httpx.Client(base_url=node) as client:
        for address, weight in weights.items():
            s = client.get(f"{CHAIN}/epoch_performance_summary/105/{address}").json()["epochPerformanceSummary"]
            share = expected_reward * weight // total
            rewarded, burned = int(s["rewarded_coins"]), int(s["burned_coins"])
            if address == scenarios["unhealthy_missed"]:
                assert (rewarded, burned) == (0, share)  # failed the missed-request test
            elif address == scenarios["offline"]:
                assert rewarded == 0 and int(s["inference_count"]) == 0  # offline all epoch: missed everything
            else:
                assert rewarded + burned == share
            paid += rewarded
    healthy = scenarios["healthy"]
    s = httpx.get(f"{node}{CHAIN}/epoch_performance_summary/105/{healthy}").json()["epochPerformanceSummary"]
    assert int(s["rewarded_coins"]) == expected_reward * weights[healthy] // total
    assert int(s["earned_coins"]) > 0 and int(s["inference_count"]) > 0
    assert paid <= expected_reward

    # the new epoch's counters restarted at settlement
    chain = httpx.get(f"{node}{CHAIN}/participant/{healthy}").json()["participant"]
    assert int(chain["current_epoch_stats"]["inference_count"]) < int(s["inference_count"])


def test_claimed_turns_true_during_next_epoch_except_unclaimed(server):
    node = server.node_urls[0]
    scenarios = httpx.get(f"{server.control_url}/scenarios").json()
    healthy, unclaimed = scenarios["healthy"], scenarios["unclaimed_reward"]
    latest = httpx.get(f"{node}/v1/epochs/latest").json()
    # move to the settlement block of epoch 105 exactly
    settle = latest["next_epoch_stages"]["poc_validation_end"]
    advance(server, blocks=settle - latest["block_height"])
    first = httpx.get(f"{node}{CHAIN}/epoch_performance_summary/105/{healthy}").json()["epochPerformanceSummary"]
    assert first["claimed"] is False
    advance(server, blocks=60)
    later = httpx.get(f"{node}{CHAIN}/epoch_performance_summary/105/{healthy}").json()["epochPerformanceSummary"]
    assert later["claimed"] is True
    assert later["rewarded_coins"] == first["rewarded_coins"]
    never = httpx.get(f"{node}{CHAIN}/epoch_performance_summary/105/{unclaimed}").json()["epochPerformanceSummary"]
    assert never["claimed"] is False and int(never["rewarded_coins"]) > 0
    # tracker details list the settled epoch, floored to whole GNK
    details = httpx.get(f"{server.tracker_url}/api/v1/participants/{healthy}", params={"epoch_id": 106}).json()
    top = details["rewards"][0]
    assert top == {"epoch_id": 105, "assigned_reward_gnk": int(later["rewarded_coins"]) // 10**9, "claimed": True}


def test_counters_grow_only_in_inference_phase(server):
    node = server.node_urls[0]
    healthy = httpx.get(f"{server.control_url}/scenarios").json()["healthy"]

    def inference_count():
        return int(httpx.get(f"{node}{CHAIN}/participant/{healthy}").json()["participant"]
                   ["current_epoch_stats"]["inference_count"])

    start = inference_count()
    advance(server, blocks=30)
    grown = inference_count()
    assert grown > start
    latest = httpx.get(f"{node}/v1/epochs/latest").json()
    advance(server, blocks=latest["epoch_stages"]["next_poc_start"] - latest["block_height"] + 1)
    frozen_at_poc = inference_count()
    assert httpx.get(f"{node}/v1/epochs/latest").json()["phase"] == "PoCGenerate"
    advance(server, blocks=3)
    assert inference_count() == frozen_at_poc  # PoC: no inferences, not settled yet


def test_wall_clock_advances_blocks_with_speed():
    with SimServer(speed=60.0, block_seconds=6.0, scripted=False) as server:  # 10 blocks per second
        import time

        first = httpx.get(f"{server.node_urls[0]}/v1/epochs/latest").json()["block_height"]
        time.sleep(0.35)
        second = httpx.get(f"{server.node_urls[0]}/v1/epochs/latest").json()["block_height"]
    assert 2 <= second - first <= 6


def test_advance_many_epochs_keeps_settling(server):
    state = advance(server, epochs=5)
    assert state["epoch"] == 110 and state["last_settled_epoch"] == 109
    healthy = httpx.get(f"{server.control_url}/scenarios").json()["healthy"]
    with httpx.Client(base_url=server.node_urls[1]) as client:
        for epoch in range(105, 110):
            assert client.get(f"{CHAIN}/epoch_performance_summary/{epoch}/{healthy}").status_code == 200
    bad = httpx.post(f"{server.control_url}/advance", json={})
    assert bad.status_code == 400
