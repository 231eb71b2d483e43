"""Client for the Gonka node API (dapi `/v1`, Cosmos REST `/chain-api`, CometBFT `/chain-rpc`) with failover.

Any host serves the same API (doc §2.1), so the client holds several base URLs: on a failure it rotates to the
next one and stays on whichever answered (sticky), so a healthy host keeps serving until it fails.
A 404 on a resource is an answer ("not registered", "not settled yet"), not a reason to fail over - but only when
the body is the chain's JSON error; an HTML 404 means the host does not expose that surface, so we move on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from minegnk.upstream.http import (
    UpstreamClient,
    DEFAULT_BACKOFF_S,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CONCURRENCY,
    JsonResponse,
    UpstreamError,
)
from minegnk.upstream.schemas import (
    ChainParticipant,
    ChainParticipantList,
    ChainStatus,
    EpochParticipants,
    EpochPerformanceSummary,
    EpochsLatest,
    HardwareNode,
    SchemaError,
    SigningInfo,
    StakingValidator,
    parse_chain_participant_list,
    parse_chain_participant_single,
    parse_chain_status,
    parse_epoch_participants,
    parse_epoch_performance_summary,
    parse_epochs_latest,
    parse_hardware_nodes,
    parse_signing_info,
    parse_staking_validators,
)

logger = logging.getLogger("minegnk.upstream")

SOURCE = "node_api"
CHAIN_API = "/chain-api/productscience/inference/inference"
STAKING_API = "/chain-api/cosmos/staking/v1beta1"
SLASHING_API = "/chain-api/cosmos/slashing/v1beta1"
VALIDATORS_PAGE_LIMIT = 200
VALIDATORS_MAX_PAGES = 5  # 1,000 validators; the network has a few hundred
GRPC_NOT_FOUND = 5
GRPC_INVALID_ARGUMENT = 3
T = TypeVar("T")


class _NotAnAnswer(Exception):
    """This host's response cannot be used (e.g. HTML 404); try the next host."""


def is_grpc_error_body(data: Any) -> bool:
    """grpc-gateway error body: {"code": int, "message": str, "details": [...]}."""
    return isinstance(data, Mapping) and isinstance(data.get("code"), int) and isinstance(data.get("message"), str)


def _is_not_found_answer(response: JsonResponse) -> bool:
    if response.status == 404:
        if response.data is None:  # non-JSON 404: the host lacks this route, not a chain answer
            raise _NotAnAnswer("HTTP 404 without a chain error body")
        return True
    data = response.data
    if is_grpc_error_body(data):
        code, message = data["code"], data["message"].lower()
        return code in (GRPC_NOT_FOUND, GRPC_INVALID_ARGUMENT) or "not found" in message
    return False


class NodeApiClient(UpstreamClient):
    def __init__(
        self,
        base_urls: Sequence[str],
        *,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        retries: int = 1,  # failover already tries other hosts; keep per-host retries low
        backoff_s: float = DEFAULT_BACKOFF_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        urls = [u.strip().rstrip("/") for u in base_urls if u and u.strip()]
        if not urls:
            raise ValueError("NodeApiClient needs at least one base URL")
        self.base_urls: tuple[str, ...] = tuple(dict.fromkeys(urls))  # de-duplicated, order kept
        self._current = 0
        self.last_base_url: str | None = None  # which host served the last successful call
        self._open_http(SOURCE, timeout=timeout, connect_timeout=connect_timeout, retries=retries,
                        backoff_s=backoff_s, max_bytes=max_bytes, max_concurrency=max_concurrency,
                        transport=transport)


    @property
    def current_base_url(self) -> str:
        """The host the next call starts with."""
        return self.base_urls[self._current]


    # ------------------------------------------------------------------------------------------ endpoints

    async def epochs_latest(self) -> EpochsLatest:
        return await self._call("/v1/epochs/latest", _parse_ok(parse_epochs_latest))

    async def current_participants(self) -> EpochParticipants:
        return await self._call("/v1/epochs/current/participants", _parse_ok(parse_epoch_participants))

    async def all_participants(self) -> ChainParticipantList:
        """Every registered participant in one call (≈200-500 entries; the limit is far above that)."""
        result = await self._call(
            f"{CHAIN_API}/participant",
            _parse_ok(parse_chain_participant_list),
            params={"pagination.limit": 10000},
        )
        if result.next_key:
            logger.warning("node_api: participant list was paginated (next_key set); list is incomplete")
        return result

    async def participant(self, address: str) -> ChainParticipant | None:
        """None: the chain does not know this address (never registered)."""
        return await self._call(
            f"{CHAIN_API}/participant/{address}",
            _parse_or_none(parse_chain_participant_single, lambda r: r.status == 404 and _is_not_found_answer(r)),
            accept=(404,),
        )

    async def epoch_performance_summary(self, epoch: int, address: str) -> EpochPerformanceSummary | None:
        """None: epoch not settled yet, or unknown for this address (404 / gRPC not-found body)."""

        def parse(response: JsonResponse) -> EpochPerformanceSummary | None:
            if _is_not_found_answer(response):
                return None
            if response.status != 200:
                raise _NotAnAnswer(f"HTTP {response.status}")
            if isinstance(response.data, Mapping) and response.data.get("epochPerformanceSummary", ...) is None:
                return None
            return parse_epoch_performance_summary(response.data)

        # 400/500 accepted so the gRPC body can be inspected; a non-not-found body still fails over.
        return await self._call(
            f"{CHAIN_API}/epoch_performance_summary/{epoch}/{address}", parse, accept=(400, 404, 500)
        )

    async def hardware_nodes(self, address: str) -> list[HardwareNode]:
        """The address's registered ML nodes. Any error -> [] (the data is optional and often empty)."""
        try:
            result = await self._call(
                f"{CHAIN_API}/hardware_nodes/{address}",
                _parse_or_none(parse_hardware_nodes, _is_not_found_answer),
                accept=(404,),
            )
        except UpstreamError as exc:
            logger.warning("node_api: hardware_nodes for %s unavailable (%s)", address, exc.reason)
            return []
        return list(result.nodes) if result is not None else []

    async def validators(self) -> tuple[StakingValidator, ...]:
        """Every staking validator (doc §2.2 #10), paged by `pagination.key`, at most VALIDATORS_MAX_PAGES calls.

        A list cut by the page bound is returned as is (with a warning): validators on it are still right, and
        an address that matches none of them reads as "unknown", never as "not jailed".
        """
        validators: list[StakingValidator] = []
        key: str | None = None
        for _ in range(VALIDATORS_MAX_PAGES):
            params: dict[str, str | int] = {"pagination.limit": VALIDATORS_PAGE_LIMIT}
            if key:
                params["pagination.key"] = key
            page = await self._call(f"{STAKING_API}/validators", _parse_ok(parse_staking_validators), params=params)
            validators.extend(page.validators)
            key = page.next_key
            if not key:
                return tuple(validators)
        logger.warning("node_api: validator list longer than %d pages; list is incomplete", VALIDATORS_MAX_PAGES)
        return tuple(validators)

    async def signing_info(self, valcons: str) -> SigningInfo | None:
        """Slashing signing info of a consensus address (doc §2.2 #11); None: the chain has none for it."""
        return await self._call(
            f"{SLASHING_API}/signing_infos/{valcons}",
            _parse_or_none(parse_signing_info, lambda r: r.status == 404 and _is_not_found_answer(r)),
            accept=(404,),
        )

    async def chain_status(self) -> ChainStatus:
        return await self._call("/chain-rpc/status", _parse_ok(parse_chain_status))

    # ------------------------------------------------------------------------------------------ failover

    async def _call(
        self,
        path: str,
        handle: Callable[[JsonResponse], T],
        *,
        params: Mapping[str, str | int] | None = None,
        accept: tuple[int, ...] = (),
    ) -> T:
        count = len(self.base_urls)
        last_reason = "no attempt"
        for step in range(count):
            index = (self._current + step) % count
            base = self.base_urls[index]
            try:
                response = await self.http.get_json(base + path, params=params, accept=accept)
                result = handle(response)
            except UpstreamError as exc:
                last_reason = exc.reason
            except (_NotAnAnswer, SchemaError) as exc:
                last_reason = f"unusable answer ({exc})"
                self.http.last_ok, self.http.last_error = False, "unusable answer"
            else:
                if index != self._current:
                    logger.warning("node_api: failed over to %s", base)
                self._current = index
                self.last_base_url = base
                return result
            logger.warning("node_api: %s%s failed (%s); trying next host", base, path, last_reason)
        raise UpstreamError(SOURCE, f"all {count} hosts failed (last: {last_reason})")


def _parse_ok(parse: Callable[[Any], T]) -> Callable[[JsonResponse], T]:
    return lambda response: parse(response.data)


def _parse_or_none(parse: Callable[[Any], T], is_none: Callable[[JsonResponse], bool]) -> Callable[[JsonResponse], T | None]:
    def handle(response: JsonResponse) -> T | None:
        if is_none(response):
            return None
        return parse(response.data)

    return handle
