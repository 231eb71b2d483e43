"""Client for the Hyperfusion tracker (gonka-tracker) REST API. Contract: docs/upstream-apis.md §1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from minegnk.upstream.http import (
    UpstreamClient,
    DEFAULT_BACKOFF_S,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_RETRIES,
    UpstreamError,
)
from minegnk.upstream.schemas import (
    InferenceResponse,
    ModelsResponse,
    ParticipantDetailsResponse,
    ParticipantInferencesResponse,
    SchemaError,
    TimelineResponse,
    parse_inference_response,
    parse_models_response,
    parse_participant_details,
    parse_participant_inferences,
    parse_timeline,
)

SOURCE = "tracker"
T = TypeVar("T")


class TrackerClient(UpstreamClient):
    """Read-only tracker client. Every method returns parsed data or raises `UpstreamError`."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        retries: int = DEFAULT_RETRIES,
        backoff_s: float = DEFAULT_BACKOFF_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self._open_http(SOURCE, timeout=timeout, connect_timeout=connect_timeout, retries=retries,
                        backoff_s=backoff_s, max_bytes=max_bytes, max_concurrency=max_concurrency,
                        transport=transport)



    async def inference_current(self) -> InferenceResponse:
        # `reload=true` would force the tracker to re-read the chain: never send it.
        return await self._get(f"{self.base_url}/api/v1/inference/current", parse_inference_response)

    async def participant_details(self, address: str, epoch_id: int) -> ParticipantDetailsResponse | None:
        """None when the address is not in that epoch's active set (tracker 404; it also 404s on its own errors)."""
        return await self._get(
            f"{self.base_url}/api/v1/participants/{address}",
            parse_participant_details,
            params={"epoch_id": epoch_id},
            none_on_404=True,
        )

    async def participant_inferences(self, address: str, epoch_id: int) -> ParticipantInferencesResponse:
        return await self._get(
            f"{self.base_url}/api/v1/participants/{address}/inferences",
            parse_participant_inferences,
            params={"epoch_id": epoch_id},
        )

    async def timeline(self) -> TimelineResponse:
        return await self._get(f"{self.base_url}/api/v1/timeline", parse_timeline)

    async def models_current(self) -> ModelsResponse:
        return await self._get(f"{self.base_url}/api/v1/models/current", parse_models_response)

    async def _get(
        self,
        url: str,
        parse: Callable[[Any], T],
        *,
        params: dict[str, str | int] | None = None,
        none_on_404: bool = False,
    ) -> Any:
        response = await self.http.get_json(url, params=params, accept=(404,) if none_on_404 else ())
        if response.status == 404:
            return None
        try:
            return parse(response.data)
        except SchemaError as exc:
            self.http.last_ok, self.http.last_error = False, "unexpected payload"
            raise UpstreamError(SOURCE, f"unexpected payload ({exc})", status=response.status, url=url) from exc
