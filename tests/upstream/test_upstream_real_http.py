"""The clients over a real socket: a tiny uvicorn/starlette server on 127.0.0.1 serving recorded fixtures."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from minegnk.upstream.http import USER_AGENT, UpstreamError
from minegnk.upstream.node_api import NodeApiClient
from minegnk.upstream.probe import make_probe_client, probe_liveness
from minegnk.upstream.tracker import TrackerClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
seen_user_agents: list[str] = []
flaky_calls = {"count": 0}


async def inference_current(request: Request) -> Response:
    seen_user_agents.append(request.headers.get("user-agent", ""))
    return Response((FIXTURES / "mine_hyperfusion-inference.json").read_bytes(), media_type="application/json")


async def epochs_latest(request: Request) -> Response:
    return Response((FIXTURES / "mine_gonka-epochs-latest.json").read_bytes(), media_type="application/json")


async def flaky_timeline(request: Request) -> Response:
    flaky_calls["count"] += 1
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


async def slow(request: Request) -> Response:
    await asyncio.sleep(2)
    return JSONResponse({"late": True})


async def endless_stream(request: Request) -> Response:
    async def chunks():  # chunked transfer, no content-length: only the streaming cap can stop it
        yield b'{"epoch_id": 1, "height": 1, "participants": ['
        for _ in range(10_000):
            yield b'{"index": "gonka1x", "current_epoch_stats": {}},' * 10
    return StreamingResponse(chunks(), media_type="application/json")


async def versions(request: Request) -> Response:
    return JSONResponse({"dapi": "0.2.x"})


app = Starlette(routes=[
    Route("/api/v1/inference/current", inference_current),
    Route("/api/v1/timeline", flaky_timeline),
    Route("/api/v1/models/current", slow),
    Route("/big/api/v1/inference/current", endless_stream),
    Route("/v1/epochs/latest", epochs_latest),
    Route("/v1/versions", versions),
])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


async def test_tracker_over_real_http(server_url: str) -> None:
    async with TrackerClient(server_url, backoff_s=0) as tracker:
        result = await tracker.inference_current()
    assert result.epoch_id == 105
    assert result.participants[0].stats.earned_coins == 3805
    assert seen_user_agents[-1] == USER_AGENT
    assert tracker.last_latency_ms is not None and tracker.last_latency_ms > 0


async def test_500_is_retried_over_real_http(server_url: str) -> None:
    before = flaky_calls["count"]
    async with TrackerClient(server_url, backoff_s=0, retries=2) as tracker:
        with pytest.raises(UpstreamError, match="HTTP 500"):
            await tracker.timeline()
    assert flaky_calls["count"] - before == 3


async def test_slow_route_times_out(server_url: str) -> None:
    async with TrackerClient(server_url, timeout=0.3, retries=0) as tracker:
        started = time.perf_counter()
        with pytest.raises(UpstreamError, match="timeout"):
            await tracker.models_current()
    assert time.perf_counter() - started < 1.5


async def test_chunked_response_is_capped(server_url: str) -> None:
    async with TrackerClient(f"{server_url}/big", max_bytes=64 * 1024, retries=0) as tracker:
        with pytest.raises(UpstreamError, match="response too large"):
            await tracker.inference_current()


async def test_node_api_failover_to_real_server(server_url: str) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    async with NodeApiClient([dead, server_url], retries=0, connect_timeout=1) as node_api:
        latest = await node_api.epochs_latest()
        assert latest.epoch_index == 105
        assert node_api.last_base_url == server_url


async def test_probe_over_real_http(server_url: str) -> None:
    prober = make_probe_client()
    assert (await probe_liveness(prober, server_url)).ok
    down = await probe_liveness(prober, f"http://127.0.0.1:{_free_port()}", timeout=1)
    assert not down.ok and down.error == "connection failed"
