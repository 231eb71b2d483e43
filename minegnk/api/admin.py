"""Admin: users, every node, node assignment, the support queue. 401 for anonymous callers, 403 for users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from minegnk.api.deps import Admin, client_ip, db_call
from minegnk.api.errors import ApiError, ApiRoute, invalid, not_found, responses
from minegnk.api.schemas import (AdminNodeOut, AdminRequestOut, AssignIn, AssignOut, Page, RequestUpdateIn,
                                 UnassignOut, UserRowOut, amount, dec)
from minegnk.api.support import RequestId, raise_request_error
from minegnk.services import admin_nodes, admin_users, assignments
from minegnk.services import requests as request_service
from minegnk.services.admin_users import PER_PAGE_MAX
from minegnk.services.assignments import AssignmentError
from minegnk.services.requests import QueueFilter, RequestError, RequestView

router = APIRouter(prefix='/admin', tags=['admin'], route_class=ApiRoute)
Limit = Annotated[int, Query(ge=1, le=PER_PAGE_MAX)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Order = Annotated[Literal['asc', 'desc'], Query()]
QUEUE_SCAN_MAX = 10_000


def _window(fetch: Any, limit: int, offset: int) -> tuple[list, int]:
    """limit/offset over a page-numbered service: the one or two pages of size ``limit`` that cover the window."""
    first = offset // limit + 1
    page = fetch(page=first, per_page=limit)
    rows, total = list(page.rows), page.total
    skip = offset - (first - 1) * limit
    if skip and first * limit < total:
        rows += list(fetch(page=first + 1, per_page=limit).rows)
    return rows[skip:skip + limit], total


@router.get('/users', response_model=Page[UserRowOut], responses=responses(401, 403, 422, 429),
            summary='Users, filtered and sorted like the admin page')
async def users(
    _admin: Admin,
    q: Annotated[str | None, Query(max_length=320, description='Part of the email')] = None,
    role: Annotated[Literal['user', 'admin'] | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    sort: Annotated[Literal['email', 'role', 'is_active', 'created_at', 'last_login_at', 'node_count'], Query()] = 'created_at',
    order: Order = 'desc', limit: Limit = 50, offset: Offset = 0,
) -> Page[UserRowOut]:
    def fetch(db, **page: int):  # noqa: ANN001, ANN202
        return admin_users.list_users(db, search=q or '', role=role, active=active, sort=sort,
                                      descending=order == 'desc', **page)
    rows, total = await db_call(lambda db: _window(lambda **p: fetch(db, **p), limit, offset))
    return Page[UserRowOut](items=[UserRowOut(id=r.id, email=r.email, role=r.role, is_active=r.is_active,
                                              created_at=r.created_at, last_login_at=r.last_login_at,
                                              node_count=r.node_count) for r in rows],
                            total=total, limit=limit, offset=offset)


@router.get('/nodes', response_model=Page[AdminNodeOut], responses=responses(401, 403, 422, 429),
            summary='Every node with its owner, filtered and sorted like the admin page')
async def all_nodes(
    _admin: Admin,
    q: Annotated[str | None, Query(max_length=200, description='Part of the address, label or owner email')] = None,
    status: Annotated[Literal['healthy', 'unhealthy', 'jailed', 'offline', 'inactive', 'unknown'] | None, Query()] = None,
    assigned: Annotated[bool | None, Query()] = None,
    sort: Annotated[Literal['address', 'label', 'owner', 'status', 'assigned_at', 'fetched_at', 'gpu_type',
                            'created_at'], Query()] = 'address',
    order: Order = 'asc', limit: Limit = 50, offset: Offset = 0,
) -> Page[AdminNodeOut]:
    def fetch(db, **page: int):  # noqa: ANN001, ANN202
        return admin_nodes.list_nodes(db, search=q or '', status=status, assigned=assigned, sort=sort,
                                      descending=order == 'desc', **page)
    rows, total = await db_call(lambda db: _window(lambda **p: fetch(db, **p), limit, offset))
    return Page[AdminNodeOut](items=[AdminNodeOut(
        address=r.address, label=r.label, gpu_type=r.gpu_type, gpu_count=r.gpu_count, region=r.region,
        gcore_instance_id=r.gcore_instance_id, owner_id=r.owner_id, owner_email=r.owner_email,
        assigned_at=r.assigned_at, status=r.status, stale=r.stale, fetched_at=r.fetched_at, epoch_id=r.epoch_id,
        weight=r.weight, inference_count=r.inference_count, missed_requests=r.missed_requests,
        epoch_work=amount(r.epoch_work_ngonka), created_at=r.created_at) for r in rows],
        total=total, limit=limit, offset=offset)


def _assignment_error(e: AssignmentError) -> ApiError:
    if e.code == 'already_assigned':
        return ApiError(409, 'already_assigned', 'This address is assigned to someone already.',
                        details={'owner_email': e.owner_email, 'same_user': bool(e.params.get('same_user'))})
    if e.code == 'not_assigned':
        return not_found()
    if e.code == 'user_not_found':
        return invalid({'user_id': 'user_not_found'})
    return invalid({e.field or 'address': e.code}, params=e.params)


@router.post('/nodes/assign', status_code=201, response_model=AssignOut, responses=responses(401, 403, 409, 422, 429),
             summary='Assign an address to a user (creates the node if new)')
async def assign(body: AssignIn, admin: Admin) -> AssignOut:
    try:
        result = await db_call(assignments.assign_node, actor_id=admin.user_id, user_id=body.user_id,
                               address=body.address, label=body.label, gpu_type=body.gpu_type,
                               gpu_count=body.gpu_count, region=body.region,
                               gcore_instance_id=body.gcore_instance_id)
    except AssignmentError as e:
        raise _assignment_error(e) from None
    return AssignOut(address=result.address, user_id=result.user_id, node_created=result.node_created,
                     known_to_network=result.known_to_network, warnings=list(result.warnings))


@router.delete('/nodes/{address}/assignment', response_model=UnassignOut,
               responses=responses(401, 403, 404, 422, 429), summary="End an address's assignment (history kept)")
async def unassign(address: Annotated[str, Path(min_length=1, max_length=128)], admin: Admin) -> UnassignOut:
    try:
        result = await db_call(assignments.unassign_node, admin.user_id, address)
    except AssignmentError as e:
        raise _assignment_error(e) from None
    return UnassignOut(address=result.address, user_id=result.user_id)


def admin_request_out(v: RequestView) -> AdminRequestOut:
    return AdminRequestOut(
        id=v.id, status=v.status, user_id=v.user_id, user_email=v.user_email, gpu_type=v.gpu_type,
        quantity=v.quantity, budget_min=dec(v.budget_min), budget_max=dec(v.budget_max),
        budget_currency=v.budget_currency, network=v.network, region=v.region, comments=v.comments,
        next_statuses=list(v.next_statuses), handled_by_email=v.handled_by_email, handled_at=v.handled_at,
        created_at=v.created_at, updated_at=v.updated_at,
        events=[{'kind': e.kind, 'from_status': e.from_status, 'to_status': e.to_status, 'body': e.body,
                 'visible_to_customer': e.visible_to_customer, 'actor_email': e.actor_email,
                 'created_at': e.created_at} for e in v.events])


@router.get('/requests', response_model=Page[AdminRequestOut], responses=responses(401, 403, 422, 429),
            summary="Support's queue, filtered like the admin page (oldest first by default)")
async def queue(
    _admin: Admin,
    status: Annotated[Literal['open', 'pending', 'in_progress', 'completed', 'rejected', 'cancelled'] | None,
                      Query(description='open = pending or in progress')] = None,
    gpu_type: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320, description="Part of the customer's email")] = None,
    created_from: Annotated[datetime | None, Query(description='Inclusive, ISO 8601 with a timezone')] = None,
    created_until: Annotated[datetime | None, Query(description='Exclusive, ISO 8601 with a timezone')] = None,
    order: Annotated[Literal['asc', 'desc'], Query(description='By creation time')] = 'asc',
    limit: Limit = 50, offset: Offset = 0,
) -> Page[AdminRequestOut]:
    for name, value in (('created_from', created_from), ('created_until', created_until)):
        if value is not None and value.tzinfo is None:
            raise invalid({name: 'timezone_required'})
    flt = QueueFilter(status=status, gpu_type=gpu_type or None, email=email or None, created_from=created_from,
                      created_until=created_until, newest_first=order == 'desc')
    # The queue service has no count or offset: read up to QUEUE_SCAN_MAX rows and cut the window here.
    views = await db_call(request_service.list_queue, flt, limit=QUEUE_SCAN_MAX)
    return Page[AdminRequestOut](items=[admin_request_out(v) for v in views[offset:offset + limit]],
                                 total=len(views), limit=limit, offset=offset)


def _update_request(db, actor_id: int, request_id: int, body: RequestUpdateIn, ip: str) -> RequestView:  # noqa: ANN001
    if request_service.get_for_support(db, request_id) is None:
        raise RequestError('not_found')
    view = None
    if body.status is not None:
        view = request_service.transition(db, actor_id=actor_id, request_id=request_id, to_status=body.status,
                                          reason=body.reason, ip=ip)
    if body.comment is not None:
        view = request_service.add_comment(db, actor_id=actor_id, request_id=request_id, body=body.comment,
                                           internal=body.internal, ip=ip)
    return view


@router.put('/requests/{request_id}', response_model=AdminRequestOut,
            responses=responses(401, 403, 404, 409, 422, 429),
            summary='Move a request on (status, with a reason when rejecting) and/or comment on it')
async def update_request(request_id: RequestId, body: RequestUpdateIn, request: Request, admin: Admin) -> JSONResponse:
    if body.status is None and body.comment is None:
        raise invalid({'status': 'status_or_comment_required'})
    try:
        view = await db_call(_update_request, admin.user_id, request_id, body, client_ip(request))
    except RequestError as e:
        raise_request_error(e)
    return JSONResponse(admin_request_out(view).model_dump(mode='json'))
