"""Support requests (a customer asks for new nodes): validation, idempotent creation, cancellation, the admin
queue with its status transitions, comments for the customer and internal notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minegnk.db.models import SupportRequest, SupportRequestEvent, User, utcnow
from minegnk.services import audit, catalog, notify_events
from minegnk.services.accounts import CURRENCIES
from minegnk.services.request_events import notify_after_commit

STATUSES = ('pending', 'in_progress', 'completed', 'rejected', 'cancelled')
OPEN_STATUSES = ('pending', 'in_progress')
# What support may do from each status; cancelling is the customer's own, distinct action.
ADMIN_TRANSITIONS = {'pending': ('in_progress', 'rejected'), 'in_progress': ('completed', 'rejected')}
QUANTITY_MIN, QUANTITY_MAX = 1, 100
BUDGET_MAX = Decimal('10') ** 16  # Numeric(18, 2)
COMMENTS_MAX = 2000
TEXT_MAX = 2000  # comments, notes and reasons written by support
NETWORKS = ('gonka',)
NETWORKS_COMING_SOON = ('bittensor', 'akash')  # shown disabled in the form
REGIONS = ('any', 'europe', 'north_america', 'asia_pacific', 'middle_east', 'south_america')
AGE_WARNING = timedelta(hours=24)
AGE_CRITICAL = timedelta(hours=72)
IDEMPOTENCY_KEY = re.compile(r'^[A-Za-z0-9_-]{16,64}$')


class RequestError(ValueError):
    """A refused request operation. ``code`` names the reason; for invalid input ``errors`` maps each bad field to
    its own code, so a form can show every problem at once."""

    def __init__(self, code: str, field: str | None = None, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.errors = errors or ({field: code} if field else {})


# ---- input rules (pure; the form uses them for inline validation) ----

def parse_quantity(raw: Any) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise RequestError('quantity_required', 'quantity')
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as e:
        raise RequestError('quantity_invalid', 'quantity') from e
    if not value.is_finite() or value != value.to_integral_value():
        raise RequestError('quantity_invalid', 'quantity')
    if not QUANTITY_MIN <= value <= QUANTITY_MAX:
        raise RequestError('quantity_range', 'quantity')
    return int(value)


def parse_budget(raw: Any, field_name: str = 'budget_min') -> Decimal | None:
    """An optional monthly budget amount: positive, at most 2 decimals; accepts a decimal comma and spaces."""
    if raw is None:
        return None
    text = str(raw).strip().replace(' ', '').replace('\u00a0', '').replace(',', '.')
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as e:
        raise RequestError('budget_invalid', field_name) from e
    if not value.is_finite():
        raise RequestError('budget_invalid', field_name)
    if value <= 0:
        raise RequestError('budget_not_positive', field_name)
    if value >= BUDGET_MAX:
        raise RequestError('budget_too_large', field_name)
    if -value.as_tuple().exponent > 2:  # type: ignore[operator]
        raise RequestError('budget_too_precise', field_name)
    return value


def check_budget_range(budget_min: Decimal | None, budget_max: Decimal | None) -> None:
    if budget_min is not None and budget_max is not None and budget_min > budget_max:
        raise RequestError('budget_order', 'budget_max')


def parse_network(raw: Any) -> str:
    value = str(raw or '').strip().lower()
    if value in NETWORKS_COMING_SOON:
        raise RequestError('network_unavailable', 'network')
    if value not in NETWORKS:
        raise RequestError('network_invalid', 'network')
    return value


def parse_region(raw: Any) -> str:
    value = str(raw or 'any').strip()
    if value not in REGIONS:
        raise RequestError('region_invalid', 'region')
    return value


def clean_comments(raw: Any) -> str | None:
    """Plain text as typed (only NULs removed: PostgreSQL refuses them); at most 2,000 characters."""
    text = str(raw or '').replace('\x00', '').replace('\r\n', '\n').strip()
    if len(text) > COMMENTS_MAX:
        raise RequestError('comments_too_long', 'comments')
    return text or None


def parse_gpu_code(raw: Any) -> str:
    value = str(raw or '').strip()
    if not value:
        raise RequestError('gpu_required', 'gpu_type')
    return value


@dataclass(frozen=True)
class NewRequest:
    gpu_type: str
    quantity: int
    budget_min: Decimal | None
    budget_max: Decimal | None
    network: str
    region: str
    comments: str | None


def validate_new_request(session: Session, *, gpu_type: Any, quantity: Any, budget_min: Any = None,
                         budget_max: Any = None, network: Any = 'gonka', region: Any = 'any',
                         comments: Any = None) -> NewRequest:
    """Every field checked; all problems are reported together in ``RequestError('invalid').errors``."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def check(name: str, fn: Any, *args: Any) -> None:
        try:
            values[name] = fn(*args)
        except RequestError as e:
            errors[e.field or name] = e.code

    check('gpu_type', parse_gpu_code, gpu_type)
    if 'gpu_type' in values and catalog.visible_entry(session, values['gpu_type']) is None:
        errors['gpu_type'] = 'gpu_unknown'  # hidden entries cannot be requested either
    check('quantity', parse_quantity, quantity)
    check('budget_min', parse_budget, budget_min, 'budget_min')
    check('budget_max', parse_budget, budget_max, 'budget_max')
    if 'budget_min' in values and 'budget_max' in values:
        try:
            check_budget_range(values['budget_min'], values['budget_max'])
        except RequestError as e:
            errors[e.field or 'budget_max'] = e.code
    check('network', parse_network, network)
    check('region', parse_region, region)
    check('comments', clean_comments, comments)
    if errors:
        raise RequestError('invalid', errors=errors)
    return NewRequest(gpu_type=values['gpu_type'], quantity=values['quantity'], budget_min=values['budget_min'],
                      budget_max=values['budget_max'], network=values['network'], region=values['region'],
                      comments=values['comments'])


# ---- read models ----

@dataclass(frozen=True)
class RequestEventView:
    id: int
    kind: str  # status | comment | note
    from_status: str | None
    to_status: str | None
    body: str | None
    visible_to_customer: bool
    created_at: datetime
    by_owner: bool  # the customer did it (created, cancelled)
    actor_email: str | None  # filled for support's views only


@dataclass(frozen=True)
class RequestView:
    id: int
    user_id: int | None
    user_email: str | None  # support's views only; None also when the account was deleted
    gpu_type: str | None
    quantity: int | None
    budget_min: Decimal | None
    budget_max: Decimal | None
    budget_currency: str | None
    network: str
    region: str | None
    comments: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    handled_by_email: str | None = None
    handled_at: datetime | None = None
    events: tuple[RequestEventView, ...] = field(default_factory=tuple)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def can_cancel(self) -> bool:
        return self.status == 'pending'

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return ADMIN_TRANSITIONS.get(self.status, ())


def age_level(created_at: datetime, status: str, now: datetime | None = None) -> str:
    """How urgent an open request looks in the queue: normal, warning (a day old) or critical (three days)."""
    if status not in OPEN_STATUSES:
        return 'normal'
    age = (now or utcnow()) - created_at
    if age >= AGE_CRITICAL:
        return 'critical'
    if age >= AGE_WARNING:
        return 'warning'
    return 'normal'


def _emails(session: Session, ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def _views(session: Session, rows: list[SupportRequest], *, for_support: bool) -> list[RequestView]:
    if not rows:
        return []
    query = select(SupportRequestEvent).where(SupportRequestEvent.request_id.in_([r.id for r in rows])) \
        .order_by(SupportRequestEvent.created_at, SupportRequestEvent.id)
    if not for_support:
        query = query.where(SupportRequestEvent.visible_to_customer.is_(True))
    events_by_request: dict[int, list[SupportRequestEvent]] = {}
    for ev in session.scalars(query):
        events_by_request.setdefault(ev.request_id, []).append(ev)
    emails = _emails(session, {r.user_id for r in rows} | {r.handled_by for r in rows}
                      | {e.actor_id for evs in events_by_request.values() for e in evs}) if for_support else {}
    views = []
    for r in rows:
        evs = events_by_request.get(r.id, [])
        handled = [e for e in evs if e.kind == 'status' and e.actor_id is not None and e.actor_id != r.user_id
                   and e.from_status is not None]
        views.append(RequestView(
            id=r.id, user_id=r.user_id, user_email=emails.get(r.user_id) if for_support else None,
            gpu_type=r.gpu_type, quantity=r.quantity,
            budget_min=None if r.budget_min is None else Decimal(r.budget_min),
            budget_max=None if r.budget_max is None else Decimal(r.budget_max),
            budget_currency=r.budget_currency, network=r.network, region=r.region, comments=r.comments,
            status=r.status, created_at=r.created_at, updated_at=r.updated_at,
            handled_by_email=emails.get(r.handled_by) if for_support else None,
            handled_at=handled[-1].created_at if handled else None,
            events=tuple(RequestEventView(
                id=e.id, kind=e.kind, from_status=e.from_status, to_status=e.to_status, body=e.body,
                visible_to_customer=e.visible_to_customer, created_at=e.created_at,
                by_owner=e.actor_id is not None and e.actor_id == r.user_id,
                actor_email=emails.get(e.actor_id) if for_support else None) for e in evs)))
    return views


def list_for_user(session: Session, user_id: int) -> list[RequestView]:
    """A customer's own requests, newest first, with only the history meant for them (no internal notes)."""
    rows = list(session.scalars(select(SupportRequest).where(SupportRequest.user_id == user_id)
                                .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())))
    return _views(session, rows, for_support=False)


def get_for_user(session: Session, user_id: int, request_id: int) -> RequestView | None:
    row = session.get(SupportRequest, request_id)
    if row is None or row.user_id != user_id:
        return None
    return _views(session, [row], for_support=False)[0]


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None  # None: every status; 'open': pending and in progress
    gpu_type: str | None = None
    email: str | None = None  # part of the customer's email
    created_from: datetime | None = None  # inclusive, aware
    created_until: datetime | None = None  # exclusive, aware
    newest_first: bool = False


QUEUE_LIMIT = 200


def list_queue(session: Session, flt: QueueFilter = QueueFilter(), *, limit: int = QUEUE_LIMIT) -> list[RequestView]:
    """Support's queue: oldest first by default, everything including internal notes."""
    query = select(SupportRequest)
    if flt.status == 'open':
        query = query.where(SupportRequest.status.in_(OPEN_STATUSES))
    elif flt.status:
        query = query.where(SupportRequest.status == flt.status)
    if flt.gpu_type:
        query = query.where(SupportRequest.gpu_type == flt.gpu_type)
    if flt.email and flt.email.strip():
        query = query.join(User, User.id == SupportRequest.user_id) \
            .where(func.lower(User.email).contains(flt.email.strip().lower(), autoescape=True))
    if flt.created_from is not None:
        query = query.where(SupportRequest.created_at >= flt.created_from)
    if flt.created_until is not None:
        query = query.where(SupportRequest.created_at < flt.created_until)
    order = (SupportRequest.created_at.desc(), SupportRequest.id.desc()) if flt.newest_first \
        else (SupportRequest.created_at, SupportRequest.id)
    rows = list(session.scalars(query.order_by(*order).limit(limit)))
    return _views(session, rows, for_support=True)


def get_for_support(session: Session, request_id: int) -> RequestView | None:
    row = session.get(SupportRequest, request_id)
    return None if row is None else _views(session, [row], for_support=True)[0]


def counts_by_status(session: Session) -> dict[str, int]:
    counts = dict(session.execute(select(SupportRequest.status, func.count()).group_by(SupportRequest.status)).all())
    return {status: counts.get(status, 0) for status in STATUSES}


# ---- commands ----

def create_request(session: Session, *, user_id: int, idempotency_key: str, gpu_type: Any, quantity: Any,
                   budget_min: Any = None, budget_max: Any = None, network: Any = 'gonka', region: Any = 'any',
                   comments: Any = None) -> tuple[RequestView, bool]:
    """Create a pending request, exactly once per idempotency key (the form's key: a double click or a resubmit
    returns the first request). Returns (request, created)."""
    key = str(idempotency_key or '')
    if not IDEMPOTENCY_KEY.match(key):
        raise RequestError('idempotency_key_invalid')
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise RequestError('forbidden')
    existing = _by_key(session, key, user_id)
    if existing is not None:
        return existing, False
    data = validate_new_request(session, gpu_type=gpu_type, quantity=quantity, budget_min=budget_min,
                                budget_max=budget_max, network=network, region=region, comments=comments)
    currency = user.currency if user.currency in CURRENCIES else 'USD'
    has_budget = data.budget_min is not None or data.budget_max is not None
    row = SupportRequest(user_id=user_id, type='new_node', gpu_type=data.gpu_type, quantity=data.quantity,
                         budget_min=data.budget_min, budget_max=data.budget_max,
                         budget_currency=currency if has_budget else None, network=data.network, region=data.region,
                         comments=data.comments, status='pending', idempotency_key=key)
    try:
        with session.begin_nested():  # the unique key decides a race between two submits of the same form
            session.add(row)
            session.flush()
            session.add(SupportRequestEvent(request_id=row.id, actor_id=user_id, kind='status', from_status=None,
                                            to_status='pending', visible_to_customer=True))
    except IntegrityError:
        existing = _by_key(session, key, user_id)
        if existing is None:
            raise
        return existing, False
    audit.record(session, actor_id=user_id, action='request.create', target_type='support_request', target_id=row.id,
                 after={'gpu_type': data.gpu_type, 'quantity': data.quantity, 'status': 'pending'})
    notify_after_commit(session, user_id)
    return _views(session, [row], for_support=False)[0], True


def _by_key(session: Session, key: str, user_id: int) -> RequestView | None:
    row = session.scalar(select(SupportRequest).where(SupportRequest.idempotency_key == key))
    if row is None:
        return None
    if row.user_id != user_id:  # a key is only ever reused by the form that made it
        raise RequestError('idempotency_conflict')
    return _views(session, [row], for_support=False)[0]


def _locked(session: Session, request_id: int) -> SupportRequest:
    # FOR UPDATE serialises a customer's cancel and support's transition of the same request (PostgreSQL).
    row = session.scalar(select(SupportRequest).where(SupportRequest.id == request_id).with_for_update())
    if row is None:
        raise RequestError('not_found')
    return row


def cancel_request(session: Session, *, user_id: int, request_id: int) -> RequestView:
    """The customer withdraws a request that support has not started yet (status ``cancelled``)."""
    row = _locked(session, request_id)
    if row.user_id != user_id:
        raise RequestError('not_found')  # never reveal other customers' requests
    if row.status != 'pending':
        raise RequestError('not_cancellable')
    row.status = 'cancelled'
    row.updated_at = utcnow()
    session.add(SupportRequestEvent(request_id=row.id, actor_id=user_id, kind='status', from_status='pending',
                                    to_status='cancelled', visible_to_customer=True))
    audit.record(session, actor_id=user_id, action='request.cancel', target_type='support_request', target_id=row.id,
                 before={'status': 'pending'}, after={'status': 'cancelled'})
    session.flush()
    notify_after_commit(session, user_id)
    return _views(session, [row], for_support=False)[0]


def _require_admin(session: Session, actor_id: int) -> User:
    actor = session.get(User, actor_id)
    if actor is None or not actor.is_active or not actor.is_admin:
        raise RequestError('forbidden')
    return actor


def _clean_text(raw: Any, *, required_code: str, too_long_code: str, field_name: str) -> str:
    text = str(raw or '').replace('\x00', '').replace('\r\n', '\n').strip()
    if not text:
        raise RequestError(required_code, field_name)
    if len(text) > TEXT_MAX:
        raise RequestError(too_long_code, field_name)
    return text


def transition(session: Session, *, actor_id: int, request_id: int, to_status: str, reason: str | None = None,
               ip: str | None = None) -> RequestView:
    """Support moves a request on: pending → in_progress → completed, or to rejected (with a reason the customer
    sees). Audited; the customer's open pages refresh."""
    _require_admin(session, actor_id)
    row = _locked(session, request_id)
    if to_status not in ADMIN_TRANSITIONS.get(row.status, ()):
        raise RequestError('transition_invalid')
    body = None
    if to_status == 'rejected':
        body = _clean_text(reason, required_code='reason_required', too_long_code='reason_too_long',
                           field_name='reason')
    before = {'status': row.status, 'handled_by': row.handled_by}
    session.add(SupportRequestEvent(request_id=row.id, actor_id=actor_id, kind='status', from_status=row.status,
                                    to_status=to_status, body=body, visible_to_customer=True))
    row.status, row.handled_by, row.updated_at = to_status, actor_id, utcnow()
    after: dict[str, Any] = {'status': to_status, 'handled_by': actor_id}
    if body:
        after['reason'] = body
    audit.record(session, actor_id=actor_id, action='request.status', target_type='support_request',
                 target_id=row.id, before=before, after=after, ip=ip)
    session.flush()
    notify_after_commit(session, row.user_id)
    notify_events.request_status_changed(session, row, to_status, body)
    return _views(session, [row], for_support=True)[0]


def add_comment(session: Session, *, actor_id: int, request_id: int, body: str, internal: bool,
                ip: str | None = None) -> RequestView:
    """Support writes a comment the customer sees, or an internal note only support sees. Audited."""
    _require_admin(session, actor_id)
    text = _clean_text(body, required_code='text_required', too_long_code='text_too_long', field_name='body')
    row = _locked(session, request_id)
    session.add(comment := SupportRequestEvent(request_id=row.id, actor_id=actor_id,
                                               kind='note' if internal else 'comment', body=text,
                                               visible_to_customer=not internal))
    if row.handled_by is None:
        row.handled_by = actor_id
    row.updated_at = utcnow()
    audit.record(session, actor_id=actor_id, action='request.note' if internal else 'request.comment',
                 target_type='support_request', target_id=row.id, after={'body': text}, ip=ip)
    session.flush()
    notify_after_commit(session, row.user_id)
    notify_events.request_commented(session, row, comment)
    return _views(session, [row], for_support=True)[0]


def anonymise_user_requests(session: Session, user_id: int) -> int:
    """Before an account is deleted: its requests stay for support's records, without the owner."""
    rows = list(session.scalars(select(SupportRequest).where(SupportRequest.user_id == user_id)))
    for row in rows:
        row.user_id = None
    session.flush()
    if rows:
        notify_after_commit(session, None)
    return len(rows)
