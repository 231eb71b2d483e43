"""Tracker and node-API clients against respx mocks: retries, failover, size cap, timeouts, 404 semantics."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from minegnk.upstream.http import USER_AGENT, UpstreamError, UpstreamHttp
from minegnk.upstream.node_api import CHAIN_API, NodeApiClient
from minegnk.upstream.tracker import TrackerClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
TRACKER = "http://tracker.test"
N1, N2, N3 = "http://n1.test:8000", "http://n2.test:8000", "http://n3.test:8000"
ADDR = "gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ok_json(name: str) -> httpx.Response:
    return httpx.Response(200, content=fixture_bytes(name), headers={"content-type": "application/json"})


@pytest.fixture
async def tracker():
    client = TrackerClient(TRACKER, backoff_s=0)
    yield client
    await client.aclose()


@pytest.fixture
async def node_api():
    client = NodeApiClient([N1, N2, N3], backoff_s=0, retries=0)
    yield client
    await client.aclose()


# ------------------------------------------------------------------------------------------ tracker


async def test_tracker_parses_and_sends_user_agent(tracker, respx_mock) -> None:
    route = respx_mock.get(f"{TRACKER}/api/v1/inference/current").mock(
        return_value=ok_json("mine_hyperfusion-inference.json"))
    result = await tracker.inference_current()
    assert result.epoch_id == 105 and len(result.participants) == 3
    assert route.calls.last.request.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("MineGNK/") and USER_AGENT.endswith("(+monitoring portal)")
    assert "reload" not in str(route.calls.last.request.url)
    assert tracker.last_latency_ms is not None and tracker.last_latency_ms >= 0
    assert tracker.health().ok is True


async def test_tracker_retries_5xx_then_succeeds(tracker, respx_mock) -> None:
    route = respx_mock.get(f"{TRACKER}/api/v1/inference/current").mock(side_effect=[
        httpx.Response(500, json={"detail": "boom"}), httpx.Response(503, text="busy"),
        ok_json("mine_hyperfusion-inference.json")])
    result = await tracker.inference_current()
    assert result.height == 1634323
    assert route.call_count == 3


async def test_tracker_gives_up_after_bounded_retries(tracker, respx_mock, caplog) -> None:
    route = respx_mock.get(f"{TRACKER}/api/v1/timeline").mock(return_value=httpx.Response(500))
    with caplog.at_level(logging.WARNING), pytest.raises(UpstreamError) as info:
        await tracker.timeline()
    assert (info.value.source, info.value.reason, info.value.status) == ("tracker", "HTTP 500", 500)
    assert route.call_count == 3  # 1 + 2 retries
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert tracker.health().ok is False and tracker.health().error == "HTTP 500"


async def test_tracker_does_not_retry_4xx(tracker, respx_mock) -> None:
    route = respx_mock.get(f"{TRACKER}/api/v1/models/current").mock(return_value=httpx.Response(400))
    with pytest.raises(UpstreamError, match="HTTP 400"):
        await tracker.models_current()
    assert route.call_count == 1


async def test_tracker_timeout_is_retried_and_reported(tracker, respx_mock) -> None:
    route = respx_mock.get(f"{TRACKER}/api/v1/inference/current").mock(
        side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(UpstreamError) as info:
        await tracker.inference_current()
    assert info.value.reason == "timeout" and info.value.status is None
    assert route.call_count == 3


async def test_tracker_connect_error(tracker, respx_mock) -> None:
    respx_mock.get(f"{TRACKER}/api/v1/inference/current").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(UpstreamError, match="connection failed"):
        await tracker.inference_current()


async def test_response_size_cap(respx_mock) -> None:
    client = TrackerClient(TRACKER, backoff_s=0, max_bytes=1000)
    route = respx_mock.get(f"{TRACKER}/api/v1/inference/current").mock(
        return_value=ok_json("mine_hyperfusion-inference.json"))  # 4,982 bytes
    with pytest.raises(UpstreamError, match="response too large"):
        await client.inference_current()
    assert route.call_count == 1  # the same answer again would be just as large: no retry
    await client.aclose()


async def test_malformed_json_and_wrong_shape(tracker, respx_mock) -> None:
    raw = fixture_bytes("mine_hyperfusion-inference.json")
    respx_mock.get(f"{TRACKER}/api/v1/inference/current").mock(side_effect=[
        httpx.Response(200, content=raw[:2000]),  # truncated transfer
        httpx.Response(200, json={"epoch_id": 105, "height": 1, "participants": "none"}),
    ])
    with pytest.raises(UpstreamError, match="malformed JSON"):
        await tracker.inference_current()
    with pytest.raises(UpstreamError, match="unexpected payload"):
        await tracker.inference_current()


async def test_tracker_404_semantics(tracker, respx_mock) -> None:
    respx_mock.get(f"{TRACKER}/api/v1/participants/{ADDR}", params={"epoch_id": "105"}).mock(
        return_value=httpx.Response(404, json={"detail": "Participant not found"}))
    assert await tracker.participant_details(ADDR, 105) is None
    respx_mock.get(f"{TRACKER}/api/v1/inference/current").mock(return_value=httpx.Response(404))
    with pytest.raises(UpstreamError, match="HTTP 404"):  # 404 on a collection is an error, not "nothing"
        await tracker.inference_current()


async def test_tracker_inferences_query(tracker, respx_mock) -> None:
    route = respx_mock.get(f"{TRACKER}/api/v1/participants/{ADDR}/inferences").mock(return_value=httpx.Response(
        200, json={"epoch_id": 105, "participant_id": ADDR, "cached_at": None,
                   "successful": [], "expired": [], "invalidated": []}))
    result = await tracker.participant_inferences(ADDR, 105)
    assert result.cached_at is None and result.successful == ()
    assert route.calls.last.request.url.params["epoch_id"] == "105"


# ------------------------------------------------------------------------------------------ node API


async def test_node_api_failover_rotates_and_sticks(node_api, respx_mock) -> None:
    bad = respx_mock.get(f"{N1}/v1/epochs/latest").mock(return_value=httpx.Response(502))
    good = respx_mock.get(f"{N2}/v1/epochs/latest").mock(return_value=ok_json("mine_gonka-epochs-latest.json"))
    third = respx_mock.get(f"{N3}/v1/epochs/latest").mock(return_value=ok_json("mine_gonka-epochs-latest.json"))
    assert node_api.current_base_url == N1
    first = await node_api.epochs_latest()
    assert first.epoch_length == 15391
    assert node_api.last_base_url == N2 and node_api.current_base_url == N2
    await node_api.epochs_latest()
    assert (bad.call_count, good.call_count, third.call_count) == (1, 2, 0)  # sticky: N1 not retried first


async def test_node_api_failover_wraps_around(node_api, respx_mock) -> None:
    respx_mock.get(f"{N1}/chain-rpc/status").mock(return_value=httpx.Response(200, json={
        "result": {"sync_info": {"latest_block_height": "887711", "catching_up": False}}}))
    respx_mock.get(f"{N2}/chain-rpc/status").mock(side_effect=httpx.ConnectError("down"))
    respx_mock.get(f"{N3}/chain-rpc/status").mock(return_value=httpx.Response(200, json={"result": {}}))
    node_api._current = 1  # start on N2: N2 down, N3 malformed -> wraps to N1
    status = await node_api.chain_status()
    assert status.latest_block_height == 887711 and node_api.last_base_url == N1


async def test_node_api_all_hosts_fail(node_api, respx_mock) -> None:
    for base in (N1, N2, N3):
        respx_mock.get(f"{base}/v1/epochs/current/participants").mock(side_effect=httpx.ReadTimeout("x"))
    with pytest.raises(UpstreamError) as info:
        await node_api.current_participants()
    assert info.value.source == "node_api" and "all 3 hosts failed" in info.value.reason
    assert "timeout" in info.value.reason


async def test_node_api_participant_404_is_an_answer(node_api, respx_mock) -> None:
    n1 = respx_mock.get(f"{N1}{CHAIN_API}/participant/{ADDR}").mock(
        return_value=httpx.Response(404, json={"code": 5, "message": "not found", "details": []}))
    n2 = respx_mock.get(f"{N2}{CHAIN_API}/participant/{ADDR}")
    assert await node_api.participant(ADDR) is None
    assert n1.call_count == 1 and n2.call_count == 0  # no failover on a real "not found"


async def test_node_api_html_404_fails_over(node_api, respx_mock) -> None:
    respx_mock.get(f"{N1}{CHAIN_API}/participant/{ADDR}").mock(
        return_value=httpx.Response(404, text="<html>nginx</html>"))
    respx_mock.get(f"{N2}{CHAIN_API}/participant/{ADDR}").mock(return_value=httpx.Response(200, json={
        "participant": {"index": ADDR, "status": "ACTIVE", "current_epoch_stats": {"inference_count": "9"}}}))
    participant = await node_api.participant(ADDR)
    assert participant is not None and participant.stats.inference_count == 9
    assert node_api.last_base_url == N2


async def test_all_participants_one_call_with_limit(node_api, respx_mock) -> None:
    route = respx_mock.get(f"{N1}{CHAIN_API}/participant").mock(return_value=httpx.Response(200, json={
        "participant": [{"index": ADDR, "status": "ACTIVE"}], "pagination": {"next_key": None, "total": "1"}}))
    listing = await node_api.all_participants()
    assert len(listing.participants) == 1
    assert route.calls.last.request.url.params["pagination.limit"] == "10000"


async def test_epoch_performance_summary_semantics(node_api, respx_mock) -> None:
    base = f"{N1}{CHAIN_API}/epoch_performance_summary"
    respx_mock.get(f"{base}/53/{ADDR}").mock(
        return_value=ok_json("tracker_epoch_performance_summary_53_gonka14cu38x.json"))
    respx_mock.get(f"{base}/106/{ADDR}").mock(
        return_value=httpx.Response(404, json={"code": 5, "message": "not found", "details": []}))
    respx_mock.get(f"{base}/107/{ADDR}").mock(
        return_value=httpx.Response(500, json={"code": 2, "message": "epoch performance summary not found"}))
    settled = await node_api.epoch_performance_summary(53, ADDR)
    assert settled is not None and settled.rewarded_coins == 48_552_031_736_571 and settled.claimed
    assert await node_api.epoch_performance_summary(106, ADDR) is None
    assert await node_api.epoch_performance_summary(107, ADDR) is None


async def test_epoch_performance_summary_internal_error_fails_over(node_api, respx_mock) -> None:
    respx_mock.get(f"{N1}{CHAIN_API}/epoch_performance_summary/54/{ADDR}").mock(
        return_value=httpx.Response(500, json={"code": 13, "message": "internal"}))
    respx_mock.get(f"{N2}{CHAIN_API}/epoch_performance_summary/54/{ADDR}").mock(
        return_value=ok_json("tracker_epoch_performance_summary_54_gonka14cu38x.json"))
    summary = await node_api.epoch_performance_summary(54, ADDR)
    assert summary is not None and summary.rewarded_coins == 50_842_445_416_245
    assert node_api.last_base_url == N2


async def test_hardware_nodes_errors_become_empty(node_api, respx_mock) -> None:
    path = f"{CHAIN_API}/hardware_nodes/gonka1sqwpuxkspyp483l64knd5rp6qp56ymj4v6ca86"
    for base in (N1, N2, N3):
        respx_mock.get(base + path).mock(return_value=httpx.Response(500))
    assert await node_api.hardware_nodes("gonka1sqwpuxkspyp483l64knd5rp6qp56ymj4v6ca86") == []
    respx_mock.get(N1 + path).mock(return_value=ok_json("tracker_hardware_nodes_gonka1sqwpuxk.json"))
    nodes = await node_api.hardware_nodes("gonka1sqwpuxkspyp483l64knd5rp6qp56ymj4v6ca86")
    assert len(nodes) == 12


def test_node_api_needs_a_base_url() -> None:
    with pytest.raises(ValueError):
        NodeApiClient(["", "  "])


async def test_shared_http_concurrency_limit(respx_mock) -> None:
    import asyncio

    active = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1
        return httpx.Response(200, json={"ok": True})

    respx_mock.get("http://x.test/a").mock(side_effect=slow)
    http = UpstreamHttp("x", max_concurrency=2)
    await asyncio.gather(*(http.get_json("http://x.test/a") for _ in range(6)))
    assert peak == 2
    await http.aclose()


