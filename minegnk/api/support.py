"""Support requests of the caller: create (idempotent with an Idempotency-Key), list, cancel."""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse

from minegnk.api.deps import CurrentUser, db_call
from minegnk.api.errors import ApiError, ApiRoute, invalid, not_found, responses
from minegnk.api.schemas import Page, RequestIn, RequestOut, dec
from minegnk.services import requests as request_service
from minegnk.services.requests import RequestError, RequestView

router = APIRouter(prefix='/support/requests', tags=['support'], route_class=ApiRoute)
RequestId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IDEMPOTENCY_KEY_RULES = ('the header must be 16 to 64 characters of A-Z, a-z, 0-9, _ and -; sending the same key '
                         'again returns the request it first created, or leave the header out')


def request_out(view: RequestView) -> RequestOut:
    return RequestOut(
        id=view.id, status=view.status, gpu_type=view.gpu_type, quantity=view.quantity,
        budget_min=dec(view.budget_min), budget_max=dec(view.budget_max), budget_currency=view.budget_currency,
        network=view.network, region=view.region, comments=view.comments, can_cancel=view.can_cancel,
        created_at=view.created_at, updated_at=view.updated_at,
        events=[{'kind': e.kind, 'from_status': e.from_status, 'to_status': e.to_status, 'body': e.body,
                 'by': 'you' if e.by_owner else 'support', 'created_at': e.created_at} for e in view.events])


def raise_request_error(e: RequestError) -> None:
    if e.code == 'not_found':
        raise not_found() from None
    if e.code in ('not_cancellable', 'transition_invalid'):
        raise ApiError(409, e.code, 'The request cannot change from its current status.') from None
    if e.code == 'idempotency_conflict':
        raise ApiError(409, e.code, 'This Idempotency-Key was used for another request.') from None
    if e.code == 'forbidden':
        raise ApiError(403, 'forbidden') from None
    if e.code == 'idempotency_key_invalid':
        # The pages' text for this code speaks of an expired form; an API client needs the header's rules.
        raise ApiError(422, 'validation_error', f'Idempotency-Key: {IDEMPOTENCY_KEY_RULES}', details=[
            {'field': 'Idempotency-Key', 'code': e.code, 'message': IDEMPOTENCY_KEY_RULES}]) from None
    raise invalid(e.errors or {e.field or 'body': e.code}) from None


@router.post('', status_code=201, response_model=RequestOut, responses={
    **responses(401, 409, 422, 429), 200: {'model': RequestOut, 'description': 'Replay: the request this key made'}},
    summary='Ask support for new nodes')
async def create_request(
    body: RequestIn, principal: CurrentUser,
    idempotency_key: Annotated[str | None, Header(
        max_length=64, description='16–64 of A-Z a-z 0-9 _ -; repeating it returns the first request (200)')] = None,
) -> JSONResponse:
    key = idempotency_key or secrets.token_urlsafe(24)
    try:
        view, created = await db_call(
            request_service.create_request, user_id=principal.user_id, idempotency_key=key, gpu_type=body.gpu_type,
            quantity=body.quantity, budget_min=body.budget_min, budget_max=body.budget_max, network=body.network,
            region=body.region, comments=body.comments)
    except RequestError as e:
        raise_request_error(e)
    return JSONResponse(request_out(view).model_dump(mode='json'), status_code=201 if created else 200)


@router.get('/my', response_model=Page[RequestOut], responses=responses(401, 422, 429),
            summary="The caller's requests")
async def my_requests(
    principal: CurrentUser,
    status: Annotated[Literal['open', 'pending', 'in_progress', 'completed', 'rejected', 'cancelled'] | None,
                      Query(description='open = pending or in progress')] = None,
    sort: Annotated[Literal['created_at', 'updated_at', 'status'], Query()] = 'created_at',
    order: Annotated[Literal['asc', 'desc'], Query()] = 'desc',
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[RequestOut]:
    views = await db_call(request_service.list_for_user, principal.user_id)
    if status == 'open':
        views = [v for v in views if v.is_open]
    elif status:
        views = [v for v in views if v.status == status]
    views.sort(key=lambda v: (getattr(v, sort), v.id), reverse=order == 'desc')
    return Page[RequestOut](items=[request_out(v) for v in views[offset:offset + limit]], total=len(views),
                            limit=limit, offset=offset)


@router.post('/{request_id}/cancel', response_model=RequestOut, responses=responses(401, 404, 409, 422, 429),
             summary='Withdraw a request support has not started')
async def cancel_request(request_id: RequestId, principal: CurrentUser) -> RequestOut:
    try:
        view = await db_call(request_service.cancel_request, user_id=principal.user_id, request_id=request_id)
    except RequestError as e:
        raise_request_error(e)
    return request_out(view)
