"""Node assignment on SQLite and PostgreSQL: validation, history, bulk paste, signals, audit, concurrency."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from minegnk.db.engine import session_scope
from minegnk.db.models import AuditLog, Node, NodeAssignment
from minegnk.services import accounts, assignment_events, assignments, network_directory
from minegnk.services.addresses import encode_address
from minegnk.services.assignments import AssignmentError

PASSWORD = 'correct horse battery'
GOOD = 'gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364'


def address(n: int) -> str:
    return encode_address(bytes([n]) * 20)


def make_user(email: str, *, admin: bool = False) -> int:
    with session_scope() as db:
        if admin:
            return accounts.ensure_admin(db, email, PASSWORD)[0].id
        return accounts.register(db, email, PASSWORD).id


@pytest.fixture
def people(database) -> dict[str, int]:
    network_directory.reset()  # no network data: the check answers None
    return {'admin': make_user('root@example.com', admin=True), 'alice': make_user('alice@example.com'),
            'bob': make_user('bob@example.com')}


def assign(actor: int, user: int, addr: str, **kwargs) -> assignments.AssignResult:
    with session_scope() as db:
        return assignments.assign_node(db, actor_id=actor, user_id=user, address=addr, **kwargs)


def counts() -> tuple[int, int]:
    with session_scope() as db:
        return len(db.scalars(select(Node)).all()), len(db.scalars(select(NodeAssignment)).all())


@pytest.mark.parametrize(('raw', 'code', 'params'), [
    ('', 'address_empty', {}),
    ('   ', 'address_empty', {}),
    ('cosmos14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364', 'address_wrong_prefix', {}),
    ('gonkavaloper14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364', 'address_wrong_prefix', {}),
    (GOOD[:-1], 'address_wrong_length', {'length': 43}),
    (GOOD[:-1] + ('q' if GOOD[-1] != 'q' else 'p'), 'address_bad_checksum', {}),
    (GOOD[:10] + 'b' + GOOD[11:], 'address_invalid_characters', {'chars': 'b'}),
    ('gonka1' + 'Q' + GOOD[7:], 'address_mixed_case', {}),
    ('gonka1 abc', 'address_invalid_characters', {}),
])
def test_invalid_addresses_are_refused_with_a_named_reason_and_change_nothing(people, raw, code, params):
    with pytest.raises(AssignmentError) as error:
        assign(people['admin'], people['alice'], raw)
    assert error.value.code == code
    assert error.value.field == 'address'
    assert params.items() <= error.value.params.items()
    assert counts() == (0, 0)


def test_field_limits(people):
    for kwargs, code in [({'label': 'x' * 101}, 'label_too_long'), ({'gpu_count': 0}, 'gpu_count_invalid'),
                         ({'gpu_count': 'two'}, 'gpu_count_invalid'), ({'region': 'r' * 101}, 'region_too_long')]:
        with pytest.raises(AssignmentError) as error:
            assign(people['admin'], people['alice'], GOOD, **kwargs)
        assert error.value.code == code
    assert counts() == (0, 0)
    with pytest.raises(AssignmentError) as error:
        assign(people['admin'], 999_999, GOOD)
    assert error.value.code == 'user_not_found'


def test_assign_creates_node_and_open_assignment_with_audit(people):
    result = assign(people['admin'], people['alice'], f'  {GOOD.upper()} ', label=' Rack  7 ', gpu_type='H100',
                    gpu_count='8', region='eu', gcore_instance_id='abc-1')
    assert result.address == GOOD and result.node_created and result.warnings == ()
    assert result.known_to_network is None  # no network data yet: no warning, no block
    with session_scope() as db:
        node = db.scalar(select(Node))
        assert (node.address, node.label, node.gpu_type, node.gpu_count, node.region, node.gcore_instance_id) == \
            (GOOD, 'Rack 7', 'H100', 8, 'eu', 'abc-1')
        entry = db.scalar(select(AuditLog).where(AuditLog.action == 'node.assign'))
        assert entry.actor_id == people['admin'] and entry.target_id == GOOD
        assert entry.before['user_id'] is None
        assert entry.after['email'] == 'alice@example.com' and entry.after['label'] == 'Rack 7'


def test_network_check_warns_but_never_blocks(people):
    seen = []
    result = assign(people['admin'], people['alice'], GOOD, known_to_network=lambda a: seen.append(a) or False)
    assert seen == [GOOD] and result.warnings == ('not_on_network',)
    assert counts() == (1, 1)
    assert assign(people['admin'], people['bob'], address(1), known_to_network=lambda a: True).warnings == ()


def test_default_network_hook_is_the_directory(people, monkeypatch):
    monkeypatch.setattr(network_directory, 'is_known', lambda db, a: False)
    assert assign(people['admin'], people['alice'], GOOD).warnings == ('not_on_network',)


def test_an_address_has_one_owner_then_unassign_keeps_history_and_reassign_works(people):
    assign(people['admin'], people['alice'], GOOD)
    with pytest.raises(AssignmentError) as error:
        assign(people['admin'], people['bob'], GOOD)
    assert error.value.code == 'already_assigned' and error.value.owner_email == 'alice@example.com'
    assert error.value.params['same_user'] is False
    with pytest.raises(AssignmentError) as error:
        assign(people['admin'], people['alice'], GOOD)
    assert error.value.params['same_user'] is True

    with session_scope() as db:
        result = assignments.unassign_node(db, people['admin'], GOOD)
    assert result.user_id == people['alice']
    with pytest.raises(AssignmentError) as error, session_scope() as db:
        assignments.unassign_node(db, people['admin'], GOOD)
    assert error.value.code == 'not_assigned'

    assign(people['admin'], people['bob'], GOOD, label='moved')
    with session_scope() as db:
        history = assignments.assignment_history(db, GOOD)
        assert [(h.user_id, h.unassigned_at is None) for h in history] == [(people['alice'], False), (people['bob'], True)]
        assert history[0].unassigned_by == people['admin'] and history[0].assigned_by == people['admin']
        assert assignments.owner_email(db, GOOD) == 'bob@example.com'
        assert len(db.scalars(select(Node)).all()) == 1  # the node row survives and is reused
        actions = db.scalars(select(AuditLog.action).where(AuditLog.target_type == 'node').order_by(AuditLog.id)).all()
        assert actions == ['node.assign', 'node.unassign', 'node.assign']
        unassign = db.scalar(select(AuditLog).where(AuditLog.action == 'node.unassign'))
        assert unassign.before == {'user_id': people['alice'], 'email': 'alice@example.com'}


def test_bulk_assign_reports_every_line(people):
    assign(people['admin'], people['bob'], address(9))
    paste = '\n'.join([
        address(1),
        f'{address(2)}, {address(3)}  {address(1)}',
        '',
        'not-an-address',
        address(9),
        GOOD[:-1],
        f'  {address(4).upper()} ;',
    ])
    with session_scope() as db:
        result = assignments.bulk_assign(db, people['admin'], people['alice'], paste,
                                         known_to_network=lambda a: a != address(3))
    outcome = [(line.line, line.outcome, line.code) for line in result.lines]
    assert outcome == [
        (1, 'ok', None), (2, 'ok', None), (2, 'warning', 'not_on_network'), (2, 'error', 'duplicate_in_paste'),
        (4, 'error', 'address_wrong_prefix'), (5, 'error', 'already_assigned'), (6, 'error', 'address_wrong_length'),
        (7, 'ok', None),
    ]
    assert result.lines[3].params == {'first_line': 1}
    assert result.lines[5].params['email'] == 'bob@example.com'
    assert result.assigned == 4 and result.failed == 4
    with session_scope() as db:
        owned = set(db.scalars(select(Node.address).join(NodeAssignment, NodeAssignment.node_id == Node.id).where(
            NodeAssignment.user_id == people['alice'], NodeAssignment.unassigned_at.is_(None))))
    assert owned == {address(1), address(2), address(3), address(4)}


def test_bulk_assign_refuses_empty_or_oversized_pastes(people):
    for text, code in [('', 'bulk_empty'), (' \n , \n', 'bulk_empty'),
                       ('\n'.join(address(1) for _ in range(assignments.BULK_MAX + 1)), 'bulk_too_many')]:
        with pytest.raises(AssignmentError) as error, session_scope() as db:
            assignments.bulk_assign(db, people['admin'], people['alice'], text)
        assert error.value.code == code
    assert counts() == (0, 0)


def test_signals_fire_after_commit_only(people):
    changed, assigned = [], []
    assignment_events.assignments_changed.connect(changed.append)
    assignment_events.node_assigned.connect(assigned.append)
    try:
        with pytest.raises(RuntimeError), session_scope() as db:
            assignments.assign_node(db, actor_id=people['admin'], user_id=people['alice'], address=GOOD)
            assert changed == []  # not before the commit
            raise RuntimeError('roll back')
        assert changed == [] and assigned == [] and counts() == (0, 0)
        with session_scope() as db:
            assignments.bulk_assign(db, people['admin'], people['alice'], f'{address(1)}\n{address(2)}\nbad')
        assert changed == [people['alice']] and assigned == [address(1), address(2)]
        with session_scope() as db:
            assignments.unassign_node(db, people['admin'], address(1))
        assert changed == [people['alice'], people['alice']]
    finally:
        assignment_events.assignments_changed.disconnect(changed.append)
        assignment_events.node_assigned.disconnect(assigned.append)


def test_two_admins_assigning_one_address_at_once_on_postgresql(database, request):
    if not database.startswith('postgresql'):
        pytest.skip('the race needs real concurrent transactions')
    admin = make_user('root@example.com', admin=True)
    admin2 = make_user('second@example.com', admin=True)
    alice, bob = make_user('alice@example.com'), make_user('bob@example.com')
    for round_ in range(5):
        target = address(100 + round_)
        barrier = threading.Barrier(2)
        outcomes: dict[int, object] = {}

        def worker(actor: int, user: int) -> None:
            try:
                with session_scope() as db:
                    barrier.wait(timeout=10)
                    outcomes[user] = assignments.assign_node(db, actor_id=actor, user_id=user, address=target)
            except AssignmentError as e:
                outcomes[user] = e

        threads = [threading.Thread(target=worker, args=(admin, alice)),
                   threading.Thread(target=worker, args=(admin2, bob))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        winners = [u for u, o in outcomes.items() if isinstance(o, assignments.AssignResult)]
        losers = [o for o in outcomes.values() if isinstance(o, AssignmentError)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert losers[0].code == 'already_assigned'
        assert losers[0].owner_email == ('alice@example.com' if winners[0] == alice else 'bob@example.com')
        with session_scope() as db:
            rows = db.scalars(select(NodeAssignment).join(Node).where(Node.address == target)).all()
            assert [(r.user_id, r.unassigned_at) for r in rows] == [(winners[0], None)]
