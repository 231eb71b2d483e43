"""Own liveness probe of a host: GET {inference_url}/v1/versions, judged by the status line alone.

`/health` is a static 200 from the host's nginx and proves nothing; `/v1/versions` needs the dapi and its chain
node (it answers 500 when the dapi cannot reach the chain), so it is the better cheap signal (doc §1.4.3, §2.2).

Every refresh cycle probes every assigned node, so a probe must be cheap: it speaks just enough HTTP/1.1 over an
asyncio stream to read the status line (about 0.4 ms of CPU, against 2-3 ms for a full httpx request, which made
probes the largest cost of a 1,000-node cycle; see bench/README.md). Bodies are never read, redirects never followed.
A probe never raises: a failure is a result.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from minegnk.upstream.http import USER_AGENT

logger = logging.getLogger("minegnk.upstream.probe")

PROBE_PATH = "/v1/versions"
MAX_STATUS_LINE = 1024


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    status: int | None
    latency_ms: float | None
    error: str | None  # short reason: "no inference URL", "timeout", "HTTP 500", ...
    url: str = ""


class LivenessProber:
    """Shared by all probes of a cycle: bounds how many run at once and reuses one TLS context."""

    def __init__(self, max_concurrency: int = 64) -> None:
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._ssl = ssl.create_default_context()

    async def aclose(self) -> None:  # same life cycle as the HTTP clients it sits beside
        return None

    async def status_of(self, url: str, timeout: float) -> int:
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        async with self._semaphore, asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                parts.hostname, port, ssl=self._ssl if secure else None, server_hostname=parts.hostname if secure else None)
            try:
                writer.write((f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: {USER_AGENT}\r\n"
                              "Accept: */*\r\nConnection: close\r\n\r\n").encode("ascii"))
                await writer.drain()
                line = await reader.readuntil(b"\n")
            finally:
                writer.close()
        if len(line) > MAX_STATUS_LINE:
            raise ValueError("status line too long")
        version, status, *_ = line.decode("latin-1").split(" ", 2) + [""]
        if not version.startswith("HTTP/") or not status.strip().isdigit():
            raise ValueError("not an HTTP response")
        return int(status)


def make_probe_client(max_connections: int = 64) -> LivenessProber:
    return LivenessProber(max_concurrency=max_connections)


async def probe_liveness(prober: LivenessProber, inference_url: str, timeout: float = 3.0) -> ProbeResult:
    base = (inference_url or "").strip().rstrip("/")
    if not base:
        return ProbeResult(ok=False, status=None, latency_ms=None, error="no inference URL")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ProbeResult(ok=False, status=None, latency_ms=None, error="invalid inference URL", url=base)
    url = base + PROBE_PATH
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        status = await prober.status_of(url, timeout)
    except TimeoutError:
        error = "timeout"
    except ssl.SSLError:
        error = "TLS error"
    except (ConnectionError, OSError):
        error = "connection failed"
    except (ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        error = "not an HTTP response"
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if error is None and status != 200:
        error = f"HTTP {status}"
    if error is not None:
        # Customer hosts go down; that is data, not a portal fault (and ERROR logs fail UI tests).
        logger.info("liveness probe %s failed: %s", url, error)
    return ProbeResult(ok=error is None, status=status, latency_ms=latency_ms, error=error, url=url)
