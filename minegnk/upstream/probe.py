"""Own liveness probe of a host: GET {inference_url}/v1/versions.

`/health` is a static 200 from the host's nginx and proves nothing; `/v1/versions` needs the dapi and its chain
node (it answers 500 when the dapi cannot reach the chain), so it is the better cheap signal (doc §1.4.3, §2.2).
A probe never raises: a failure is a result.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx

from minegnk.upstream.http import USER_AGENT

logger = logging.getLogger("minegnk.upstream.probe")

PROBE_PATH = "/v1/versions"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    status: int | None
    latency_ms: float | None
    error: str | None  # short reason: "no inference URL", "timeout", "HTTP 500", ...
    url: str = ""


def make_probe_client(max_connections: int = 20) -> httpx.AsyncClient:
    """One client shared by all probes. Probes target many foreign hosts: no redirects, small pool."""
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
    )


async def probe_liveness(client: httpx.AsyncClient, inference_url: str, timeout: float = 3.0) -> ProbeResult:
    base = (inference_url or "").strip().rstrip("/")
    if not base:
        return ProbeResult(ok=False, status=None, latency_ms=None, error="no inference URL")
    if not base.startswith(("http://", "https://")):
        return ProbeResult(ok=False, status=None, latency_ms=None, error="invalid inference URL", url=base)
    url = base + PROBE_PATH
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        async with asyncio.timeout(timeout):
            # Only the status matters; streaming avoids reading a body from a misbehaving host.
            async with client.stream("GET", url, timeout=httpx.Timeout(timeout)) as response:
                status = response.status_code
    except (TimeoutError, httpx.TimeoutException):
        error = "timeout"
    except httpx.ConnectError:
        error = "connection failed"
    except httpx.HTTPError as exc:
        error = f"request failed ({type(exc).__name__})"
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if error is None and status != 200:
        error = f"HTTP {status}"
    if error is not None:
        # Customer hosts go down; that is data, not a portal fault (and ERROR logs fail UI tests).
        logger.info("liveness probe %s failed: %s", url, error)
    return ProbeResult(ok=error is None, status=status, latency_ms=latency_ms, error=error, url=url)
