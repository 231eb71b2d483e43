"""Nodes: the caller's list (served from memory while fresh), one node, its status history and its earnings."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from minegnk.api import deps
from minegnk.api.deps import CurrentUser, db_call
from minegnk.api.errors import ApiRoute, invalid, not_found, responses
from minegnk.api.schemas import (ChainOut, DayEarningOut, EarningsOut, EpochEarningOut, MetricsOut, NodeDetailOut,
                                 NodeItem, NodeList, StatusPointOut, amount, dec)
from minegnk.db.models import utcnow
from minegnk.services import nodes as node_service
from minegnk.services.nodes import ATTENTION_ORDER, STATUSES, NodeSummary

router = APIRouter(prefix='/nodes', tags=['nodes'], route_class=ApiRoute)

NodeSort = Literal['attention', 'label', 'address', 'status', 'per_day', 'total', 'weight', 'assigned_at']
Address = Annotated[str, Path(min_length=1, max_length=128, description='gonka1… address')]
METRICS_DEFAULT_SPAN = timedelta(hours=24)
METRICS_MAX_SPAN = timedelta(days=31)


def node_item(s: NodeSummary) -> dict[str, Any]:
    """NodeItem-shaped plain data (checked against NodeItem by the tests and the schema fuzzer)."""
    return {
        'address': s.address, 'label': s.label, 'gpu_type': s.gpu_type, 'gpu_count': s.gpu_count,
        'region': s.region, 'gcore_instance_id': s.gcore_instance_id, 'assigned_at': s.assigned_at,
        'status': s.status, 'needs_attention': s.needs_attention,
        'reasons': [{'code': str(r.get('code')), 'params': dict(r.get('params') or {})} for r in s.reasons],
        'models': list(s.models), 'weight': s.weight, 'weight_share': dec(s.weight_share),
        'inference_count': s.inference_count, 'missed_requests': s.missed_requests,
        'missed_rate': dec(s.missed_rate), 'epoch_work': amount(s.epoch_work_ngonka),
        'reward_estimate': amount(s.reward_estimate_ngonka), 'per_day': amount(s.per_day_ngonka),
        'total': amount(s.total_ngonka), 'settled_epochs': s.settled_epochs, 'source': s.source,
        'data_as_of': s.data_as_of, 'fetched_at': s.fetched_at, 'stale': s.stale, 'stale_reason': s.stale_reason,
    }


def _sort_keys(s: NodeSummary, position: int) -> dict[str, Any]:
    return {'attention': position, 'label': ((s.label or '').lower(), s.address), 'address': s.address,
            'status': (ATTENTION_ORDER.get(s.status, 9), s.address), 'per_day': (s.per_day_ngonka or 0, s.address),
            'total': (s.total_ngonka, s.address), 'weight': (s.weight or 0, s.address),
            'assigned_at': (s.assigned_at, s.address),
            'search': ' '.join(v for v in (s.address, s.label, s.gpu_type, s.region) if v).lower()}


def _load_my_nodes(db, user_id: int) -> tuple[list[dict], list[dict], dict[str, int]]:  # noqa: ANN001
    summaries = node_service.user_nodes(db, user_id)  # already problems first, like the page
    return ([node_item(s) for s in summaries], [_sort_keys(s, i) for i, s in enumerate(summaries)],
            node_service.count_by_status(summaries))


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, option=orjson.OPT_UTC_Z), status_code=status, media_type='application/json')


class MyNodesQuery(BaseModel):
    model_config = ConfigDict(extra='ignore', frozen=True)

    status: Literal['healthy', 'unhealthy', 'jailed', 'offline', 'inactive', 'unknown'] | None = Field(
        None, description='Only nodes with this status')
    attention: bool | None = Field(None, description='Only nodes that need attention (or only those that do not)')
    q: str | None = Field(None, max_length=100, description='Search address, label, GPU type or region')
    sort: NodeSort = Field('attention', description='attention = problems first (default)')
    order: Literal['asc', 'desc'] = 'asc'
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


def _query_parameters() -> list[dict[str, Any]]:
    schema = MyNodesQuery.model_json_schema(ref_template='#/components/schemas/{model}')
    result = []
    for name, prop in schema['properties'].items():
        prop = dict(prop)
        description = prop.pop('description', None)
        options = [o for o in prop.pop('anyOf', []) if o.get('type') != 'null']  # absent, not null, in a query
        if options:
            prop.update(options[0])
        result.append({'name': name, 'in': 'query', 'required': False, 'schema': prop,
                       **({'description': description} if description else {})})
    return result


_parsed_queries: dict[str, MyNodesQuery] = {}


def parse_my_nodes_query(request: Request) -> MyNodesQuery:
    """The query string, validated once per distinct string (this is the API's busiest route)."""
    raw = request.url.query
    parsed = _parsed_queries.get(raw)
    if parsed is None:
        params = request.query_params
        if any(len(params.getlist(k)) > 1 for k in params):
            raise RequestValidationError([{'type': 'too_many_values', 'loc': ('query', k), 'msg': 'given twice',
                                           'input': None} for k in params if len(params.getlist(k)) > 1])
        try:
            parsed = MyNodesQuery.model_validate(dict(params))
        except ValidationError as e:
            raise RequestValidationError([{**err, 'loc': ('query', *err['loc'])} for err in e.errors()]) from None
        if len(_parsed_queries) > 10_000:
            _parsed_queries.clear()
        _parsed_queries[raw] = parsed
    return parsed


@router.get('/my', response_model=NodeList, responses=responses(401, 422, 429),
            openapi_extra={'parameters': _query_parameters()},
            summary="The caller's nodes, problems first (the My nodes page)")
async def my_nodes(request: Request, principal: CurrentUser) -> Response:
    query = parse_my_nodes_query(request)
    status, attention, q, sort, order, limit, offset = (query.status, query.attention, query.q, query.sort,
                                                         query.order, query.limit, query.offset)
    cache = deps.state().nodes
    user_id = principal.user_id
    entry = await cache.get(user_id, lambda: db_call(_load_my_nodes, user_id))
    key = (status, attention, q, sort, order, limit, offset)  # the parsed values: equal queries share a body
    body = entry.rendered.get(key)
    if body is None:
        picked = range(len(entry.items))
        if status is not None:
            picked = [i for i in picked if entry.items[i]['status'] == status]
        if attention is not None:
            picked = [i for i in picked if entry.items[i]['needs_attention'] is attention]
        needle = (q or '').strip().lower()
        if needle:
            picked = [i for i in picked if needle in entry.sort_keys[i]['search']]
        ordered = sorted(picked, key=lambda i: entry.sort_keys[i][sort], reverse=order == 'desc')
        body = orjson.dumps({'items': [entry.items[i] for i in ordered[offset:offset + limit]], 'total': len(ordered),
                             'limit': limit, 'offset': offset, 'counts': entry.counts}, option=orjson.OPT_UTC_Z)
        cache.remember(entry, key, body)
    return Response(body, media_type='application/json')


def _chain(view: dict[str, Any]) -> dict[str, Any]:
    def reasons(items: Any) -> list[dict]:
        return [{'code': str(r.get('code')), 'params': dict(r.get('params') or {})}
                for r in items or [] if isinstance(r, dict)]
    return {
        'epoch_id': view.get('epoch_id'), 'registered': view.get('registered'), 'in_set': view.get('in_set'),
        'chain_status': view.get('chain_status'), 'is_jailed': view.get('is_jailed'),
        'jailed_until': view.get('jailed_until'), 'ready_to_unjail': view.get('ready_to_unjail'),
        'network_weight': view.get('network_weight'),
        'invalidation_rate': None if view.get('invalidation_rate') is None else str(view['invalidation_rate']),
        'confirmation_poc_ratio': (None if view.get('confirmation_poc_ratio') is None
                                   else str(view['confirmation_poc_ratio'])),
        'notes': reasons(view.get('notes')),
        'ml_nodes': [{'node_id': str(m.get('node_id')), 'status': m.get('status'), 'poc_weight': m.get('poc_weight'),
                      'models': [str(x) for x in m.get('models') or []]}
                     for m in view.get('ml_nodes') or [] if isinstance(m, dict)],
    }


@router.get('/{address}', response_model=NodeDetailOut, responses=responses(401, 404, 422, 429),
            summary='One node (yours; admins: any)')
async def node(address: Address, principal: CurrentUser) -> Response:
    detail = await db_call(node_service.node_detail, address, user_id=principal.user_id,
                           is_admin=principal.is_admin)
    if detail is None:
        raise not_found()
    return _json({'node': node_item(detail.summary), 'chain': ChainOut(**_chain(detail.view)).model_dump(mode='json')})


def _metrics(db, address: str, user_id: int, is_admin: bool, since: datetime, until: datetime):  # noqa: ANN001, ANN202
    found = node_service.owned_node(db, address, user_id=user_id, is_admin=is_admin)
    if found is None:
        return None
    return found.address, node_service.status_history(db, found.id, since=since, until=until)


@router.get('/{address}/metrics', response_model=MetricsOut, responses=responses(401, 404, 422, 429),
            summary='Status history between `from` and `to` (default: the last 24 h; at most 31 days)')
async def metrics(
    address: Address, principal: CurrentUser,
    from_: Annotated[datetime | None, Query(alias='from', description='ISO 8601 with a timezone')] = None,
    to: Annotated[datetime | None, Query(description='ISO 8601 with a timezone; default now')] = None,
) -> Response:
    for name, value in (('from', from_), ('to', to)):
        if value is not None and value.tzinfo is None:
            raise invalid({name: 'timezone_required'})
    until = to or utcnow()
    since = from_ or until - METRICS_DEFAULT_SPAN
    if since >= until:
        raise invalid({'from': 'from_not_before_to'})
    if until - since > METRICS_MAX_SPAN:
        raise invalid({'from': 'range_too_long'})
    found = await db_call(_metrics, address, principal.user_id, principal.is_admin, since, until)
    if found is None:
        raise not_found()
    normalised, points = found
    share = node_service.uptime_share(points)
    return _json({'address': normalised, 'from': since, 'to': until, 'uptime_share': dec(share), 'points': [
        {'observed_at': p.observed_at, 'status': p.status,
         'reasons': [{'code': str(r.get('code')), 'params': dict(r.get('params') or {})} for r in p.reasons],
         'inference_count': p.inference_count, 'missed_requests': p.missed_requests, 'epoch_id': p.epoch_id}
        for p in points]})


@router.get('/{address}/earnings', response_model=EarningsOut, responses=responses(401, 404, 422, 429),
            summary='Settled earnings per epoch and per day (amounts: integer ngonka strings + GNK decimals)')
async def earnings(address: Address, principal: CurrentUser) -> Response:
    detail = await db_call(node_service.node_detail, address, user_id=principal.user_id,
                           is_admin=principal.is_admin)
    if detail is None:
        raise not_found()
    rows = sorted(detail.earnings, key=lambda r: r.epoch_id, reverse=True)
    days: dict[Any, list] = defaultdict(list)
    for r in rows:
        if r.settled_at is not None:
            days[r.settled_at.date()].append(r)
    summary = detail.summary
    return _json({
        'address': summary.address, 'total': amount(summary.total_ngonka), 'settled_epochs': summary.settled_epochs,
        'per_day_average': amount(summary.per_day_ngonka),
        'epochs': [{'epoch_id': r.epoch_id, 'reward': amount(r.reward_ngonka), 'work': amount(r.work_ngonka),
                    'total': amount(r.total_ngonka), 'claimed': r.claimed, 'burned': r.burned,
                    'settled_at': r.settled_at, 'inference_count': r.inference_count,
                    'missed_requests': r.missed_requests} for r in rows],
        'days': [{'date': day.isoformat(), 'reward': amount(sum(r.reward_ngonka for r in group)),
                  'work': amount(sum(r.work_ngonka for r in group)),
                  'total': amount(sum(r.total_ngonka for r in group)),
                  'epochs': sorted(r.epoch_id for r in group)}
                 for day, group in sorted(days.items(), reverse=True)],
    })


__all__ = ['router', 'node_item', 'NodeItem', 'StatusPointOut', 'EpochEarningOut', 'DayEarningOut', 'STATUSES']
