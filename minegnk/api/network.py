"""Network: epoch, phase, block height, next PoC and how fresh the portal's data is."""

from __future__ import annotations

from fastapi import APIRouter

from minegnk.api.deps import CurrentUser, db_call
from minegnk.api.errors import ApiRoute, responses
from minegnk.api.schemas import NetworkOut, dec
from minegnk.services import nodes as node_service

router = APIRouter(prefix='/network', tags=['network'], route_class=ApiRoute)


@router.get('/status', response_model=NetworkOut, responses=responses(401, 429), summary='The network right now')
async def network_status(_principal: CurrentUser) -> NetworkOut:
    s = await db_call(node_service.network_status)
    return NetworkOut(
        epoch_id=s.epoch_id, phase=s.phase, block_height=s.block_height, avg_block_seconds=dec(s.avg_block_seconds),
        epoch_length=s.epoch_length, epochs_per_day=dec(s.epochs_per_day), next_poc_start_block=s.next_poc_start_block,
        next_poc_eta=s.next_poc_eta, taken_at=s.taken_at,
        data_age_s=None if s.data_age_s is None else int(s.data_age_s), source=s.source, stale=s.stale,
        stale_reason=s.stale_reason, participant_count=s.participant_count, total_weight=s.total_weight,
        failing_share=dec(s.failing_share))
