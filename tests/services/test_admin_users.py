"""Admin read models on SQLite and PostgreSQL: user list filters/sort/paging with node counts, user page, roles,
activation, "view as customer", the node list with CSV export, the audit log and system stats."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from minegnk.db.engine import session_scope
from minegnk.db.models import AuditLog, NodeStatsCache, User, UserSession, utcnow
from minegnk.services import accounts, admin_nodes, admin_users, assignments, audit_log, system
from minegnk.services.accounts import AccountError
from minegnk.services.addresses import encode_address

PASSWORD = 'correct horse battery'


def address(n: int) -> str:
    return encode_address(bytes([n]) * 20)


@pytest.fixture
def world(database) -> dict[str, int]:
    ids = {}
    with session_scope() as db:
        ids['admin'] = accounts.ensure_admin(db, 'root@example.com', PASSWORD)[0].id
        for name in ('alice', 'bob', 'carol', 'dave_x'):
            ids[name] = accounts.register(db, f'{name}@example.com', PASSWORD).id
    with session_scope() as db:
        for n in (1, 2, 3):
            assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['alice'], address=address(n),
                                    label=f'=cmd node {n}' if n == 1 else f'node {n}')
        assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['bob'], address=address(4))
        db.add(NodeStatsCache(node_id=assignments.open_assignment(db, address(1)).node_id, status='healthy',
                              weight=12345678901234, epoch_work_ngonka=987654321987654321, fetched_at=utcnow()))
        accounts.set_active(db, actor_id=ids['admin'], user_id=ids['carol'], active=False)
    return ids


def users(**kwargs) -> admin_users.Page:
    with session_scope() as db:
        return admin_users.list_users(db, **kwargs)


def test_user_list_search_filter_sort_page_and_node_counts(world):
    page = users(sort='email', descending=False, per_page=2)
    assert page.total == 5 and [r.email for r in page.rows] == ['alice@example.com', 'bob@example.com']
    assert [r.email for r in users(sort='email', descending=False, per_page=2, page=3).rows] == ['root@example.com']
    assert [(r.email, r.node_count) for r in users(sort='node_count', per_page=2).rows] == \
        [('alice@example.com', 3), ('bob@example.com', 1)]
    assert [r.email for r in users(search='ALI').rows] == ['alice@example.com']
    assert [r.email for r in users(search='_x').rows] == ['dave_x@example.com']  # LIKE wildcards are literal
    assert [r.email for r in users(search='%').rows] == []
    assert [r.email for r in users(role='admin').rows] == ['root@example.com']
    assert [r.email for r in users(active=False).rows] == ['carol@example.com']
    assert users(active=True).total == 4
    assert users(sort='nonsense; drop table users').total == 5  # unknown sort falls back safely


def test_user_detail_and_view_as_customer(world):
    with session_scope() as db:
        detail = admin_users.user_detail(db, world['alice'])
        assert admin_users.user_detail(db, 999_999) is None
    assert detail.email == 'alice@example.com' and len(detail.nodes) == 3
    statuses = {n.address: n.status for n in detail.nodes}
    assert statuses[address(1)] == 'healthy' and statuses[address(2)] == 'unknown'
    assert all(a.action == 'user.register' or a.action.startswith('user.') for a in detail.activity)
    with session_scope() as db:
        view = admin_users.customer_nodes(db, world['alice'])
        assert {n.address for n in view} == {address(1), address(2), address(3)}
        assert admin_users.customer_nodes(db, world['dave_x']) == []


def test_roles_and_last_admin_protection(world):
    with session_scope() as db:
        accounts.set_role(db, actor_id=world['admin'], user_id=world['bob'], role='admin')
    with session_scope() as db:
        accounts.set_role(db, actor_id=world['bob'], user_id=world['admin'], role='user')
    with pytest.raises(AccountError) as error, session_scope() as db:
        accounts.set_role(db, actor_id=world['bob'], user_id=world['bob'], role='user')
    assert error.value.code == 'last_admin'
    with pytest.raises(AccountError) as error, session_scope() as db:
        accounts.set_active(db, actor_id=world['bob'], user_id=world['bob'], active=False)
    assert error.value.code == 'last_admin'
    with session_scope() as db:
        assert db.scalar(select(User.role).where(User.id == world['bob'])) == 'admin'
        entries = db.scalars(select(AuditLog).where(AuditLog.action == 'user.role').order_by(AuditLog.id)).all()
        assert [(e.before, e.after) for e in entries] == [({'role': 'user'}, {'role': 'admin'}),
                                                          ({'role': 'admin'}, {'role': 'user'})]


def test_deactivation_ends_sessions_at_once(world):
    with session_scope() as db:
        token = accounts.login(db, 'bob@example.com', PASSWORD).token
    with session_scope() as db:
        accounts.set_active(db, actor_id=world['admin'], user_id=world['bob'], active=False)
    with session_scope() as db:
        from minegnk.services import sessions
        assert sessions.resolve_session(db, token) is None
        record = db.scalar(select(UserSession).where(UserSession.user_id == world['bob']))
        assert record.revoked_reason == 'deactivated'


def test_node_list_filters_and_full_precision_csv(world):
    with session_scope() as db:
        assignments.unassign_node(db, world['admin'], address(4))
        page = admin_nodes.list_nodes(db, sort='address')
        assert page.total == 4
        assert admin_nodes.list_nodes(db, status='healthy').total == 1
        assert admin_nodes.list_nodes(db, status='unknown').total == 3
        assert admin_nodes.list_nodes(db, assigned=False).total == 1
        assert [r.address for r in admin_nodes.list_nodes(db, search='BOB').rows] == []  # unassigned: no owner now
        assert admin_nodes.list_nodes(db, search='alice@').total == 3
        assert admin_nodes.list_nodes(db, search='node 2').rows[0].address == address(2)
        assert [r.owner_email for r in admin_nodes.list_nodes(db, sort='owner', descending=True).rows][:1] == \
            ['alice@example.com']
        text = admin_nodes.export_csv(db, status='healthy')
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]['address'] == address(1) and rows[0]['owner_email'] == 'alice@example.com'
    assert rows[0]['weight'] == '12345678901234' and rows[0]['epoch_work_ngonka'] == '987654321987654321'
    assert rows[0]['label'] == "'=cmd node 1"  # no formula injection into spreadsheets
    assert rows[0]['status'] == 'healthy'


def test_audit_log_filters(world):
    with session_scope() as db:
        everything = audit_log.list_audit(db, per_page=200)
        assigns = audit_log.list_audit(db, action='node.assign')
        by_root = audit_log.list_audit(db, actor='root@')
        future = audit_log.list_audit(db, since=utcnow() + timedelta(days=1))
        past = audit_log.list_audit(db, until=utcnow() - timedelta(days=1))
        target = audit_log.list_audit(db, target=address(4)[-8:])
        assert 'node.assign' in audit_log.actions(db)
    assert assigns.total == 4 and all(r.actor_email == 'root@example.com' for r in assigns.rows)
    assert by_root.total >= 5 and future.total == 0 and past.total == 0 and target.total == 1
    assert everything.rows[0].created_at >= everything.rows[-1].created_at


def test_system_stats_and_refresh_rate_limit(world):
    system.reset()
    with session_scope() as db:
        stats = system.system_stats(db)
    assert (stats.users_total, stats.users_active, stats.admins) == (5, 4, 1)
    assert stats.nodes_total == 4 and stats.nodes_by_status == {'healthy': 1, 'unknown': 3}
    assert stats.database_kind in ('sqlite', 'postgresql') and stats.database_size and stats.database_size > 0
    assert stats.snapshot_taken_at is None and stats.scheduler.last_run is None

    assert system.request_refresh().status == 'unavailable'
    calls = []
    system.register_refresh_callback(lambda: calls.append(1))
    now = utcnow()
    assert system.request_refresh(now=now).status == 'started'
    limited = system.request_refresh(now=now + timedelta(seconds=10))
    assert limited.status == 'rate_limited' and limited.retry_after == 20
    assert system.request_refresh(now=now + timedelta(seconds=31)).status == 'started'
    assert calls == [1, 1]
    system.record_scheduler_run(now, now + timedelta(minutes=2))
    assert system.scheduler_info().next_run == now + timedelta(minutes=2)
    system.reset()
