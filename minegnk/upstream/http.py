"""Shared HTTP plumbing for every upstream: timeouts, bounded retries, size cap, concurrency limit.

One `UpstreamHttp` (wrapping one `httpx.AsyncClient`) exists per upstream. Every failure leaves here as a single
exception type, `UpstreamError`, whose `reason` is short enough to show on an "upstream health" panel.
Expected failures are logged at WARNING: the UI test plugin fails a test on any ERROR log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Self

import httpx

from minegnk import __version__

logger = logging.getLogger("minegnk.upstream")

USER_AGENT = f"MineGNK/{__version__} (+monitoring portal)"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # a full /inference/current is ~0.7 MB; 20 MB leaves room for growth
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_READ_TIMEOUT_S = 15.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF_S = 0.5
DEFAULT_MAX_CONCURRENCY = 8


class UpstreamError(Exception):
    """Any failure talking to an upstream. `reason` is a short human text: "timeout", "HTTP 500", ..."""

    def __init__(self, source: str, reason: str, status: int | None = None, url: str | None = None):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.status = status
        self.url = url

    @property
    def is_server_side(self) -> bool:
        """True for failures worth retrying elsewhere: transport errors and 5xx answers."""
        return self.status is None or self.status >= 500


class _ResponseTooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class JsonResponse:
    status: int
    data: Any  # decoded JSON (floats as Decimal), or None when an accepted non-2xx answer had no JSON body
    latency_ms: float
    url: str


@dataclass(frozen=True, slots=True)
class UpstreamHealth:
    """Outcome of the most recent call, for the upstream-health panel."""

    source: str
    ok: bool | None  # None: no call made yet
    latency_ms: float | None
    error: str | None
    checked_at: datetime | None


def decode_json(body: bytes) -> Any:
    """Decode JSON keeping non-integers as Decimal, so no coin value or rate ever passes through float."""
    return json.loads(body, parse_float=Decimal)


class UpstreamHttp:
    """One upstream's HTTP client. Not tied to a base URL, so failover clients can share it."""

    def __init__(
        self,
        source: str,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        read_timeout: float = DEFAULT_READ_TIMEOUT_S,
        total_timeout: float | None = None,
        retries: int = DEFAULT_RETRIES,
        backoff_s: float = DEFAULT_BACKOFF_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.source = source
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.max_bytes = max_bytes
        # read_timeout bounds each socket read; a slow-drip server could still stall a call, hence a total cap.
        self.total_timeout = total_timeout if total_timeout is not None else connect_timeout + 2 * read_timeout
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=True,
            max_redirects=3,
            transport=transport,
        )
        self.last_latency_ms: float | None = None
        self.last_ok: bool | None = None
        self.last_error: str | None = None
        self.last_checked_at: datetime | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> UpstreamHttp:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def health(self) -> UpstreamHealth:
        return UpstreamHealth(self.source, self.last_ok, self.last_latency_ms, self.last_error, self.last_checked_at)

    async def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        accept: Collection[int] = (),
    ) -> JsonResponse:
        """GET `url` and decode JSON. 2xx plus the statuses in `accept` are returned; anything else raises.

        5xx and transport failures are retried (`retries` times, exponential backoff) unless the status is in
        `accept`; 4xx never is, because asking again gives the same answer.
        """
        last_error: UpstreamError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                return await self._attempt(url, params, accept)
            except UpstreamError as exc:
                last_error = exc
                retryable = exc.is_server_side and exc.reason not in ("response too large", "malformed JSON")
                logger.warning(
                    "upstream %s: GET %s failed (%s), attempt %d/%d",
                    self.source, url, exc.reason, attempt + 1, self.retries + 1,
                )
                if not retryable:
                    break
        assert last_error is not None
        raise last_error

    async def _attempt(self, url: str, params: Mapping[str, str | int] | None, accept: Collection[int]) -> JsonResponse:
        started = time.perf_counter()
        try:
            async with self._semaphore:
                async with asyncio.timeout(self.total_timeout):
                    status, body = await self._read_capped(url, params)
        except (TimeoutError, httpx.TimeoutException):
            raise self._fail(started, UpstreamError(self.source, "timeout", url=url)) from None
        except _ResponseTooLarge:
            raise self._fail(started, UpstreamError(self.source, "response too large", url=url)) from None
        except (httpx.ConnectError, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            reason = "connection failed" if isinstance(exc, httpx.ConnectError) else "connection broken"
            raise self._fail(started, UpstreamError(self.source, reason, url=url)) from exc
        except httpx.HTTPError as exc:  # invalid URL, too many redirects, ...: a config problem, not transient
            error = UpstreamError(self.source, f"request failed ({type(exc).__name__})", status=0, url=url)
            raise self._fail(started, error) from exc

        latency_ms = (time.perf_counter() - started) * 1000
        is_success = 200 <= status < 300
        if not is_success and status not in accept:
            raise self._fail(started, UpstreamError(self.source, f"HTTP {status}", status=status, url=url))
        try:
            data = decode_json(body) if body.strip() else None
        except ValueError:
            if is_success:
                raise self._fail(
                    started, UpstreamError(self.source, "malformed JSON", status=status, url=url)
                ) from None
            data = None  # an accepted error status with an HTML body: caller decides what that means
        if is_success and data is None:
            raise self._fail(started, UpstreamError(self.source, "empty response", status=status, url=url))
        self._record(latency_ms, ok=True, error=None)
        return JsonResponse(status=status, data=data, latency_ms=latency_ms, url=url)

    async def _read_capped(self, url: str, params: Mapping[str, str | int] | None) -> tuple[int, bytes]:
        async with self._client.stream("GET", url, params=params) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise _ResponseTooLarge
            chunks: list[bytes] = []
            size = 0
            # aiter_bytes yields decoded bytes, so the cap also stops a gzip bomb.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise _ResponseTooLarge
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)

    def _fail(self, started: float, error: UpstreamError) -> UpstreamError:
        self._record((time.perf_counter() - started) * 1000, ok=False, error=error.reason)
        return error

    def _record(self, latency_ms: float, *, ok: bool, error: str | None) -> None:
        self.last_latency_ms = round(latency_ms, 1)
        self.last_ok = ok
        self.last_error = error
        self.last_checked_at = datetime.now(UTC)


class UpstreamClient:
    """What every upstream client shares: one UpstreamHttp, its health, and closing it."""

    http: UpstreamHttp

    def _open_http(self, source: str, *, timeout: float, connect_timeout: float, retries: int, backoff_s: float,
                   max_bytes: int, max_concurrency: int, transport: httpx.AsyncBaseTransport | None) -> None:
        self.http = UpstreamHttp(source, connect_timeout=connect_timeout, read_timeout=timeout, retries=retries,
                                 backoff_s=backoff_s, max_bytes=max_bytes, max_concurrency=max_concurrency,
                                 transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def last_latency_ms(self) -> float | None:
        return self.http.last_latency_ms

    def health(self) -> UpstreamHealth:
        return self.http.health()
