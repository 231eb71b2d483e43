"""Admin pages through NiceGUI's simulated user: users, assignment (single and bulk), all nodes with CSV export,
rates, system, audit log, and server-side refusal of every admin page for customers and anonymous visitors."""

from __future__ import annotations

import csv
import io

import pytest
from nicegui.testing import User
from sqlalchemy import select

from minegnk.db.engine import session_scope
from minegnk.db.models import AuditLog, ExchangeRate, NodeAssignment
from minegnk.services import accounts, assignments, network_directory, system
from minegnk.services.addresses import encode_address

PASSWORD = 'correct horse battery'
ADMIN_PAGES = ['/admin/users', '/admin/users/1', '/admin/users/1/view', '/admin/nodes', '/admin/nodes/assign',
               '/admin/rates', '/admin/system', '/admin/audit']


def address(n: int) -> str:
    return encode_address(bytes([n]) * 20)


def create_account(email: str, *, admin: bool = False) -> int:
    with session_scope() as db:
        if admin:
            return accounts.ensure_admin(db, email, PASSWORD)[0].id
        return accounts.register(db, email, PASSWORD).id


async def see(user: User, *args, **kwargs) -> None:
    await user.should_see(*args, retries=150, **kwargs)


async def log_in(user: User, email: str) -> None:
    await user.open('/login')
    user.find(marker='email').type(email)
    user.find(marker='password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await see(user, marker='user-menu')


@pytest.fixture(autouse=True)
def _clean_module_state():
    network_directory.reset()
    system.reset()
    yield
    system.reset()


async def admin_session(user: User) -> dict[str, int]:
    ids = {'admin': create_account('root@example.com', admin=True), 'alice': create_account('alice@example.com'),
           'bob': create_account('bob@example.com')}
    await log_in(user, 'root@example.com')
    return ids


def table_rows(user: User, marker: str) -> list[dict]:
    return user.find(marker=marker).elements.pop().rows


async def wait_rows(user: User, marker: str, predicate, retries: int = 50) -> list[dict]:
    import asyncio
    for _ in range(retries):
        try:
            rows = table_rows(user, marker)
        except AssertionError:  # the page is still loading its data: the table is not there yet
            rows = None
        if rows is not None and predicate(rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f'{marker}: {table_rows(user, marker)}')


def choose(user: User, marker: str, option: str) -> None:
    user.find(marker=marker).click()
    user.find(option).click()


def open_owner(addr: str) -> int | None:
    with session_scope() as db:
        current = assignments.open_assignment(db, addr)
        return current.user_id if current else None


async def test_assign_one_node_with_validation_messages(user: User):
    ids = await admin_session(user)
    await user.open(f'/admin/nodes/assign?user_id={ids["alice"]}')
    await see(user, marker='assign-submit')
    user.find(marker='assign-address').type(address(1)[:-1])
    user.find(marker='assign-submit').click()
    await see(user, 'The address is too short: a gonka address has 44 characters, this one has 43.')
    assert open_owner(address(1)) is None

    user.find(marker='assign-address').clear().type(address(1))
    user.find(marker='assign-label').type('<script>alert(1)</script>')
    user.find(marker='assign-submit').click()
    await see(user, f'Assigned {address(1)} to alice@example.com.')
    assert open_owner(address(1)) == ids['alice']

    choose(user, 'assign-user', 'bob@example.com')
    user.find(marker='assign-address').type(address(1))
    user.find(marker='assign-submit').click()
    await see(user, 'This address is already assigned to alice@example.com.')
    assert open_owner(address(1)) == ids['alice']


async def test_bulk_assign_reports_each_line(user: User):
    ids = await admin_session(user)
    with session_scope() as db:
        assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['bob'], address=address(9))
    await user.open('/admin/nodes/assign')
    await see(user, marker='bulk-submit')
    choose(user, 'bulk-user', 'alice@example.com')
    user.find(marker='bulk-text').type('\n'.join([address(1), f'{address(2)}, {address(1)}', 'gonka1nonsense',
                                                  address(9)]))
    user.find(marker='bulk-submit').click()
    await see(user, '2 assigned, 3 not assigned.')
    rows = table_rows(user, 'bulk-report')
    assert [(r['line'], r['outcome']) for r in rows] == [(1, 'ok'), (2, 'ok'), (2, 'error'), (3, 'error'), (4, 'error')]
    assert rows[2]['message'] == 'Repeated in this paste (first on line 1).'
    assert rows[3]['message'] == ("Invalid character 'o' at position 8: after 'gonka1' an address uses only digits and "
                                  'lower-case letters except 1, b, i and o.')
    assert rows[4]['message'] == 'This address is already assigned to bob@example.com.'
    assert open_owner(address(1)) == open_owner(address(2)) == ids['alice']


async def test_unassign_from_node_list_then_reassign_keeps_history(user: User):
    ids = await admin_session(user)
    with session_scope() as db:
        assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['alice'], address=address(1), label='rig-1')
    await user.open('/admin/nodes')
    rows = await wait_rows(user, 'nodes-table', lambda rows: len(rows) == 1)
    assert rows[0]['owner'] == 'alice@example.com'
    user.find(marker='nodes-table').trigger('unassign', address(1))
    await see(user, marker='confirm')
    user.find(marker='confirm').click()
    await see(user, f'Unassigned {address(1)}.')
    assert open_owner(address(1)) is None
    await wait_rows(user, 'nodes-table', lambda rows: rows and rows[0]['owner'] == '')

    await user.open(f'/admin/nodes/assign?user_id={ids["bob"]}')
    await see(user, marker='assign-address')  # the form is drawn once the user list has loaded
    user.find(marker='assign-address').type(address(1))
    user.find(marker='assign-submit').click()
    await see(user, f'Assigned {address(1)} to bob@example.com.')
    with session_scope() as db:
        history = assignments.assignment_history(db, address(1))
    assert [(h.user_id, h.unassigned_by) for h in history] == [(ids['alice'], ids['admin']), (ids['bob'], None)]


async def test_node_list_filters_and_csv_export(user: User):
    ids = await admin_session(user)
    with session_scope() as db:
        assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['alice'], address=address(1), label='=HYPERLINK()')
        assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['bob'], address=address(2), label='beta')
    await user.open('/admin/nodes')
    await wait_rows(user, 'nodes-table', lambda rows: len(rows) == 2)
    user.find(marker='node-search').type('bob@')
    await wait_rows(user, 'nodes-table', lambda rows: [r['address'] for r in rows] == [address(2)])
    user.find(marker='export-csv').click()
    response = await user.download.next(timeout=5)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r['address'], r['owner_email'], r['label'], r['status']) for r in rows] == \
        [(address(2), 'bob@example.com', 'beta', 'unknown')]
    user.find(marker='node-search').clear()
    choose(user, 'status-filter', 'Healthy')
    await wait_rows(user, 'nodes-table', lambda rows: rows == [])


async def test_user_list_filters_and_user_page_actions(user: User):
    ids = await admin_session(user)
    create_account('carol@example.com')
    with session_scope() as db:
        assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['alice'], address=address(1))
    await user.open('/admin/users')
    await wait_rows(user, 'users-table', lambda rows: len(rows) == 4)
    user.find(marker='user-search').type('ALI')
    rows = await wait_rows(user, 'users-table', lambda rows: [r['email'] for r in rows] == ['alice@example.com'])
    assert rows[0]['node_count'] == 1
    user.find(marker='user-search').clear()
    choose(user, 'role-filter', 'Administrators')
    await wait_rows(user, 'users-table', lambda rows: [r['email'] for r in rows] == ['root@example.com'])

    await user.open(f'/admin/users/{ids["alice"]}')
    await see(user, marker='user-email')
    assert [r['address'] for r in table_rows(user, 'user-nodes')] == [address(1)]
    user.find(marker='deactivate').click()
    await see(user, marker='confirm')
    user.find(marker='confirm').click()
    await see(user, marker='activate')
    with session_scope() as db:
        assert accounts.get_by_email(db, 'alice@example.com').is_active is False
    user.find(marker='make-admin').click()
    await see(user, marker='confirm')
    user.find(marker='confirm').click()
    await see(user, marker='remove-admin')

    await user.open(f'/admin/users/{ids["admin"]}')
    await see(user, marker='remove-admin')
    user.find(marker='remove-admin').click()
    await see(user, marker='confirm')
    user.find(marker='confirm').click()
    await see(user, 'This is the last administrator; make someone else an admin first.')


async def test_view_as_customer_is_read_only_list_of_their_nodes(user: User):
    ids = await admin_session(user)
    with session_scope() as db:
        assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['alice'], address=address(1), label='rig <b>1</b>')
    await user.open(f'/admin/users/{ids["alice"]}/view')
    await see(user, marker='read-only-banner')
    await see(user, 'rig <b>1</b>')  # untrusted text shown as text
    await see(user, address(1))
    await user.should_not_see(marker='assign-submit')
    await user.open(f'/admin/users/{ids["bob"]}/view')
    await see(user, marker='empty-state')


async def test_rates_page_validates_and_saves(user: User):
    await admin_session(user)
    await user.open('/admin/rates')
    await see(user, marker='rate-submit')
    user.find(marker='rate-value').type('-1')
    user.find(marker='rate-submit').click()
    await see(user, 'The rate must be greater than zero.')
    with session_scope() as db:
        assert db.scalars(select(ExchangeRate)).all() == []
    user.find(marker='rate-value').clear().type('0.000123456789012345')
    user.find(marker='rate-submit').click()
    await see(user, 'Rate saved.')
    await see(user, '0.000123456789012345')
    assert table_rows(user, 'rate-history')[0]['rate'] == '0.000123456789012345'


async def test_system_page_and_rate_limited_refresh(user: User):
    await admin_session(user)
    calls = []
    system.register_refresh_callback(lambda: calls.append(1))
    await user.open('/admin/system')
    await see(user, marker='stat-users')
    await see(user, 'Upstream health')
    user.find(marker='refresh-now').click()
    await see(user, 'Refresh started.')
    user.find(marker='refresh-now').click()
    await see(user, 'A refresh was requested moments ago.', )
    assert calls == [1]


async def test_audit_log_shows_admin_actions_and_filters(user: User):
    ids = await admin_session(user)
    with session_scope() as db:
        assignments.assign_node(db, actor_id=ids['admin'], user_id=ids['alice'], address=address(1))
        assignments.unassign_node(db, ids['admin'], address(1))
    await user.open('/admin/audit')
    rows = await wait_rows(user, 'audit-table', lambda rows: len(rows) >= 3)
    assert {'node.assign', 'node.unassign'} <= {r['action'] for r in rows}
    choose(user, 'audit-action', 'node.unassign')
    rows = await wait_rows(user, 'audit-table', lambda rows: [r['action'] for r in rows] == ['node.unassign'])
    assert rows[0]['actor'] == 'root@example.com' and address(1) in rows[0]['target']
    assert 'alice@example.com' in rows[0]['before']
    with session_scope() as db:  # the page only reads
        assert db.scalars(select(AuditLog).where(AuditLog.action.like('audit%'))).all() == []


async def test_admin_pages_are_refused_for_customers(user: User):
    create_account('root@example.com', admin=True)
    create_account('alice@example.com')
    await log_in(user, 'alice@example.com')
    for path in ADMIN_PAGES:
        response = await user.http_client.get(path)
        assert response.status_code == 403, path
        assert 'Access denied' in response.text


async def test_admin_pages_send_anonymous_visitors_to_login(user: User):
    create_account('root@example.com', admin=True)
    for path in ADMIN_PAGES:
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers['location'].startswith('/login'), path


async def test_nav_lists_the_admin_pages(user: User):
    await admin_session(user)
    await user.open('/admin')
    for label in ('Users', 'Nodes', 'Assign nodes', 'Exchange rates', 'System', 'Audit log'):
        await see(user, label)
    with session_scope() as db:
        assert db.scalars(select(NodeAssignment)).all() == []
