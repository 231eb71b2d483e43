"""Support requests on SQLite and PostgreSQL: field validation, idempotent creation, cancel, transitions, notes,
the queue's filters and the live-refresh signal."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from minegnk.db.engine import session_scope
from minegnk.db.models import AuditLog, SupportRequest, SupportRequestEvent, utcnow
from minegnk.services import accounts, catalog, request_events, requests
from minegnk.services.requests import QueueFilter, RequestError

PASSWORD = 'correct horse battery'


def make_user(email: str, *, admin: bool = False) -> int:
    with session_scope() as db:
        if admin:
            return accounts.ensure_admin(db, email, PASSWORD)[0].id
        return accounts.register(db, email, PASSWORD).id


@pytest.fixture
def people(database):
    with session_scope() as db:
        catalog.ensure_default_catalog(db)
    return make_user('alice@example.com'), make_user('root@example.com', admin=True)


def key() -> str:
    return secrets.token_urlsafe(24)


def create(user_id: int, idem: str | None = None, **fields):
    data = {'gpu_type': 'H100', 'quantity': 2} | fields
    with session_scope() as db:
        return requests.create_request(db, user_id=user_id, idempotency_key=idem or key(), **data)


def count_requests() -> int:
    with session_scope() as db:
        return db.scalar(select(func.count()).select_from(SupportRequest))


def test_valid_request_is_pending_with_history_and_audit(people):
    alice, _ = people
    view, created = create(alice, budget_min='1 000,50', budget_max='2000', region='europe',
                           comments='<script>alert(1)</script>\r\nthanks')
    assert created and view.status == 'pending'
    assert view.budget_min == Decimal('1000.50') and view.budget_max == Decimal('2000')
    assert view.budget_currency == 'USD' and view.network == 'gonka' and view.region == 'europe'
    assert view.comments == '<script>alert(1)</script>\nthanks'  # stored as typed: it is shown as text
    assert [(e.kind, e.to_status, e.by_owner) for e in view.events] == [('status', 'pending', True)]
    with session_scope() as db:
        log = db.scalar(select(AuditLog).where(AuditLog.target_type == 'support_request'))
        assert (log.action, log.actor_id, log.target_id) == ('request.create', alice, str(view.id))
        assert requests.list_for_user(db, alice)[0].id == view.id


def test_no_budget_means_no_currency(people):
    alice, _ = people
    view, _ = create(alice)
    assert view.budget_min is None and view.budget_max is None and view.budget_currency is None


@pytest.mark.parametrize(('fields', 'errors'), [
    ({'gpu_type': ''}, {'gpu_type': 'gpu_required'}),
    ({'gpu_type': 'V100'}, {'gpu_type': 'gpu_unknown'}),
    ({'quantity': None}, {'quantity': 'quantity_required'}),
    ({'quantity': 0}, {'quantity': 'quantity_range'}),
    ({'quantity': 101}, {'quantity': 'quantity_range'}),
    ({'quantity': 2.5}, {'quantity': 'quantity_invalid'}),
    ({'quantity': 'two'}, {'quantity': 'quantity_invalid'}),
    ({'budget_min': 'abc'}, {'budget_min': 'budget_invalid'}),
    ({'budget_min': '0'}, {'budget_min': 'budget_not_positive'}),
    ({'budget_max': '-5'}, {'budget_max': 'budget_not_positive'}),
    ({'budget_max': '10.555'}, {'budget_max': 'budget_too_precise'}),
    ({'budget_max': '1e20'}, {'budget_max': 'budget_too_large'}),
    ({'budget_min': '500', 'budget_max': '100'}, {'budget_max': 'budget_order'}),
    ({'network': 'bittensor'}, {'network': 'network_unavailable'}),
    ({'network': 'ethereum'}, {'network': 'network_invalid'}),
    ({'region': 'mars'}, {'region': 'region_invalid'}),
    ({'comments': 'x' * 2001}, {'comments': 'comments_too_long'}),
    ({'gpu_type': '', 'quantity': 0, 'comments': 'x' * 2001},
     {'gpu_type': 'gpu_required', 'quantity': 'quantity_range', 'comments': 'comments_too_long'}),
])
def test_invalid_fields_are_reported_and_nothing_is_saved(people, fields, errors):
    alice, _ = people
    with pytest.raises(RequestError) as e:
        create(alice, **fields)
    assert e.value.code == 'invalid'
    assert e.value.errors == errors
    assert count_requests() == 0


def test_boundaries_are_accepted(people):
    alice, _ = people
    create(alice, quantity=1, comments='x' * 2000)
    create(alice, quantity='100', budget_min='5', budget_max='5')
    assert count_requests() == 2


def test_hidden_gpu_cannot_be_requested(people):
    alice, admin = people
    with session_scope() as db:
        h100 = next(e for e in catalog.list_entries(db) if e.code == 'H100')
        catalog.update_entry(db, actor_id=admin, entry_id=h100.id, price=None, visible=False, sort_order=1)
    with pytest.raises(RequestError) as e:
        create(alice)
    assert e.value.errors == {'gpu_type': 'gpu_unknown'}


def test_same_key_creates_exactly_one_request(people):
    alice, _ = people
    idem = key()
    first, created = create(alice, idem)
    again, created_again = create(alice, idem, quantity=7)  # a resubmitted form returns the first request
    assert created and not created_again and again.id == first.id and again.quantity == 2
    assert count_requests() == 1


def test_key_of_another_user_or_malformed_key_is_refused(people):
    alice, _ = people
    bob = make_user('bob@example.com')
    idem = key()
    create(alice, idem)
    with pytest.raises(RequestError) as e:
        create(bob, idem)
    assert e.value.code == 'idempotency_conflict'
    with pytest.raises(RequestError) as e:
        create(bob, 'short')
    assert e.value.code == 'idempotency_key_invalid'
    assert count_requests() == 1


def test_cancel_only_own_pending_request(people):
    alice, admin = people
    bob = make_user('bob@example.com')
    view, _ = create(alice)
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.cancel_request(db, user_id=bob, request_id=view.id)
    assert e.value.code == 'not_found'
    with session_scope() as db:
        cancelled = requests.cancel_request(db, user_id=alice, request_id=view.id)
    assert cancelled.status == 'cancelled'
    assert [e.to_status for e in cancelled.events] == ['pending', 'cancelled']
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.cancel_request(db, user_id=alice, request_id=view.id)
    assert e.value.code == 'not_cancellable'
    other, _ = create(alice)
    with session_scope() as db:
        requests.transition(db, actor_id=admin, request_id=other.id, to_status='in_progress')
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.cancel_request(db, user_id=alice, request_id=other.id)
    assert e.value.code == 'not_cancellable'


def test_transitions_through_every_status(people):
    alice, admin = people
    done, _ = create(alice)
    with session_scope() as db:
        view = requests.transition(db, actor_id=admin, request_id=done.id, to_status='in_progress')
        assert view.status == 'in_progress' and view.handled_by_email == 'root@example.com'
    with session_scope() as db:
        view = requests.transition(db, actor_id=admin, request_id=done.id, to_status='completed')
        assert view.status == 'completed' and view.handled_at is not None
    rejected, _ = create(alice)
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.transition(db, actor_id=admin, request_id=rejected.id, to_status='rejected', reason='   ')
    assert e.value.code == 'reason_required'
    with session_scope() as db:
        requests.transition(db, actor_id=admin, request_id=rejected.id, to_status='rejected',
                            reason='No H100 capacity this month.')
    with session_scope() as db:
        mine = {r.id: r for r in requests.list_for_user(db, alice)}
        assert [e.to_status for e in mine[done.id].events] == ['pending', 'in_progress', 'completed']
        assert mine[rejected.id].events[-1].body == 'No H100 capacity this month.'
        assert mine[rejected.id].handled_by_email is None  # customers don't see support's accounts
        actions = db.scalars(select(AuditLog.action).where(AuditLog.action == 'request.status')).all()
        assert len(actions) == 3


@pytest.mark.parametrize(('path', 'target'), [
    ((), 'completed'), ((), 'pending'), ((), 'cancelled'), ((), 'bogus'),
    (('in_progress',), 'pending'), (('in_progress',), 'in_progress'),
    (('in_progress', 'completed'), 'rejected'), (('in_progress', 'completed'), 'in_progress'),
])
def test_invalid_transitions_change_nothing(people, path, target):
    alice, admin = people
    view, _ = create(alice)
    for status in path:
        with session_scope() as db:
            requests.transition(db, actor_id=admin, request_id=view.id, to_status=status)
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.transition(db, actor_id=admin, request_id=view.id, to_status=target, reason='because')
    assert e.value.code == 'transition_invalid'
    with session_scope() as db:
        assert db.get(SupportRequest, view.id).status == (path[-1] if path else 'pending')
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.transition(db, actor_id=admin, request_id=99999, to_status='in_progress')
    assert e.value.code == 'not_found'


def test_customer_cannot_use_support_actions(people):
    alice, _ = people
    view, _ = create(alice)
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.transition(db, actor_id=alice, request_id=view.id, to_status='in_progress')
    assert e.value.code == 'forbidden'
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.add_comment(db, actor_id=alice, request_id=view.id, body='hi', internal=False)
    assert e.value.code == 'forbidden'
    with session_scope() as db:
        assert db.get(SupportRequest, view.id).status == 'pending'


def test_comments_for_customer_and_internal_notes(people):
    alice, admin = people
    view, _ = create(alice)
    with session_scope() as db:
        requests.add_comment(db, actor_id=admin, request_id=view.id, body='We are checking stock.', internal=False)
        requests.add_comment(db, actor_id=admin, request_id=view.id, body='Ask vendor X first', internal=True)
    with session_scope() as db, pytest.raises(RequestError) as e:
        requests.add_comment(db, actor_id=admin, request_id=view.id, body='x' * 2001, internal=True)
    assert e.value.code == 'text_too_long'
    with session_scope() as db:
        customer = requests.list_for_user(db, alice)[0]
        support = requests.get_for_support(db, view.id)
    assert [e.body for e in customer.events if e.kind != 'status'] == ['We are checking stock.']
    assert [(e.kind, e.visible_to_customer) for e in support.events if e.kind != 'status'] == [
        ('comment', True), ('note', False)]
    assert support.events[-1].actor_email == 'root@example.com'


def test_queue_filters_and_order(people):
    alice, admin = people
    bob = make_user('Bob.Smith@example.com')
    first, _ = create(alice, gpu_type='A100')
    second, _ = create(bob, gpu_type='H100')
    third, _ = create(bob, gpu_type='H100')
    with session_scope() as db:
        db.get(SupportRequest, first.id).created_at = utcnow() - timedelta(days=4)
        db.get(SupportRequest, second.id).created_at = utcnow() - timedelta(days=2)
    with session_scope() as db:
        requests.transition(db, actor_id=admin, request_id=third.id, to_status='in_progress')

    def ids(**kwargs) -> list[int]:
        with session_scope() as db:
            return [r.id for r in requests.list_queue(db, QueueFilter(**kwargs))]
    assert ids() == [first.id, second.id, third.id]
    assert ids(newest_first=True) == [third.id, second.id, first.id]
    assert ids(status='pending') == [first.id, second.id]
    assert ids(status='open') == [first.id, second.id, third.id]
    assert ids(gpu_type='H100') == [second.id, third.id]
    assert ids(email='SMITH') == [second.id, third.id]
    assert ids(email='%') == []  # wildcards are literal
    assert ids(created_from=utcnow() - timedelta(days=3)) == [second.id, third.id]
    assert ids(created_until=utcnow() - timedelta(days=3)) == [first.id]
    with session_scope() as db:
        queue = requests.list_queue(db)
        assert queue[0].user_email == 'alice@example.com'
        assert requests.age_level(queue[0].created_at, queue[0].status) == 'critical'
        assert requests.age_level(queue[1].created_at, queue[1].status) == 'warning'
        assert requests.age_level(queue[2].created_at, queue[2].status) == 'normal'
        assert requests.age_level(queue[0].created_at, 'completed') == 'normal'
        assert requests.counts_by_status(db) == {'pending': 2, 'in_progress': 1, 'completed': 0, 'rejected': 0,
                                                 'cancelled': 0}


def test_signal_fires_after_commit_only(people):
    alice, admin = people
    seen: list[int] = []
    request_events.requests_changed.connect(seen.append)
    try:
        view, _ = create(alice)
        assert seen == [alice]
        with pytest.raises(RuntimeError), session_scope() as db:
            requests.transition(db, actor_id=admin, request_id=view.id, to_status='in_progress')
            raise RuntimeError('rolled back')
        assert seen == [alice]
        with session_scope() as db:
            requests.transition(db, actor_id=admin, request_id=view.id, to_status='in_progress')
            assert seen == [alice]  # not before the commit
        assert seen == [alice, alice]
    finally:
        request_events.requests_changed.disconnect(seen.append)


def test_parallel_double_submit_creates_one_request_on_postgresql(people, database):
    if not database.startswith('postgresql'):
        pytest.skip('row-level concurrency is a PostgreSQL property')
    alice, _ = people
    idem = key()
    barrier = threading.Barrier(8)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            view, created = create(alice, idem)
            results.append((view.id, created))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({rid for rid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert count_requests() == 1
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(SupportRequestEvent)) == 1
