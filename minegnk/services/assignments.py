"""Node assignment: which customer owns which Gonka address, with the full history kept.

An address belongs to at most one user at a time. The database enforces it (partial unique index on open
assignments), so two admins assigning the same address at the same moment cannot both win: the loser gets
``AssignmentError('already_assigned')`` naming the owner. Unassigning closes the open assignment (who, when) and
the address can be assigned again later. Every change is written to the audit log with before/after values and
announces itself through ``assignment_events`` once committed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minegnk.db.models import Node, NodeAssignment, User, utcnow
from minegnk.services import audit, network_directory, notify_events
from minegnk.services.addresses import InvalidAddress, validate_address
from minegnk.services.assignment_events import emit_after_commit

KnownToNetwork = Callable[[str], 'bool | None']

LABEL_MAX = 100
GPU_TYPE_MAX = 50
REGION_MAX = 100
GCORE_ID_MAX = 255
GPU_COUNT_MAX = 10_000
BULK_MAX = 500  # addresses per paste
_SPLIT = re.compile(r'[\s,;]+')


class AssignmentError(ValueError):
    """A refused assignment operation. ``code`` names the reason (the UI translates it), ``params`` fill it in."""

    def __init__(self, code: str, *, field: str | None = None, owner_email: str | None = None,
                 message: str | None = None, **params: Any) -> None:
        super().__init__(message or code)
        self.code = code
        self.field = field
        self.owner_email = owner_email
        self.message = message or code
        self.params: dict[str, Any] = dict(params)
        if owner_email is not None:
            self.params.setdefault('email', owner_email)


@dataclass(frozen=True)
class AssignResult:
    address: str
    node_id: int
    assignment_id: int
    user_id: int
    node_created: bool
    known_to_network: bool | None  # None: the network data cannot tell (yet)
    warnings: tuple[str, ...] = ()  # codes, e.g. 'not_on_network'


@dataclass(frozen=True)
class BulkLine:
    line: int  # 1-based line of the paste
    raw: str
    address: str | None  # normalised when valid
    outcome: str  # ok | warning | error
    code: str | None = None  # error or warning code
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkResult:
    lines: tuple[BulkLine, ...]

    @property
    def assigned(self) -> int:
        return sum(1 for line in self.lines if line.outcome in ('ok', 'warning'))

    @property
    def failed(self) -> int:
        return sum(1 for line in self.lines if line.outcome == 'error')


@dataclass(frozen=True)
class UnassignResult:
    address: str
    user_id: int | None
    assignment_id: int


def normalise_address(raw: str) -> str:
    """The canonical address, or AssignmentError naming what is wrong (code = the address rule that failed)."""
    try:
        return validate_address(raw)
    except InvalidAddress as e:
        raise AssignmentError(f'address_{e.code}', field='address', message=e.message, **e.params) from e


def _clean_text(value: str | None, limit: int, name: str) -> str | None:
    if value is None:
        return None
    text = ' '.join(str(value).split())  # no control characters, newlines or runs of blanks
    if not text:
        return None
    if len(text) > limit:
        raise AssignmentError(f'{name}_too_long', field=name, limit=limit)
    return text


def _clean_count(value: int | str | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        count = int(value)
        if isinstance(value, float) and value != count:
            raise ValueError
    except (TypeError, ValueError) as e:
        raise AssignmentError('gpu_count_invalid', field='gpu_count', limit=GPU_COUNT_MAX) from e
    if not 1 <= count <= GPU_COUNT_MAX:
        raise AssignmentError('gpu_count_invalid', field='gpu_count', limit=GPU_COUNT_MAX)
    return count


def _node_snapshot(node: Node | None) -> dict[str, Any]:
    if node is None:
        return {}
    return {'label': node.label, 'gpu_type': node.gpu_type, 'gpu_count': node.gpu_count, 'region': node.region,
            'gcore_instance_id': node.gcore_instance_id}


def open_assignment(db: Session, address: str) -> NodeAssignment | None:
    return db.scalar(select(NodeAssignment).join(Node, Node.id == NodeAssignment.node_id)
                     .where(Node.address == address, NodeAssignment.unassigned_at.is_(None)))


def owner_email(db: Session, address: str) -> str | None:
    return db.scalar(select(User.email).join(NodeAssignment, NodeAssignment.user_id == User.id)
                     .join(Node, Node.id == NodeAssignment.node_id)
                     .where(Node.address == address, NodeAssignment.unassigned_at.is_(None)))


def _default_known(db: Session) -> KnownToNetwork:
    return lambda address: network_directory.is_known(db, address)


def _begin_write(db: Session) -> None:
    """Make sure a real transaction is open before any savepoint.

    pysqlite opens its transaction lazily, only before INSERT/UPDATE/DELETE; a SAVEPOINT issued before that starts
    the transaction itself and its RELEASE commits it, so a later error could not roll back what came before. A
    no-op UPDATE makes pysqlite issue its BEGIN first. (PostgreSQL needs nothing.)
    """
    if db.get_bind().dialect.name != 'sqlite':
        return
    connection = db.connection()
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.execute(text('UPDATE nodes SET id = id WHERE 1 = 0'))


def _get_or_create_node(db: Session, address: str) -> tuple[Node, bool]:
    node = db.scalar(select(Node).where(Node.address == address))
    if node is not None:
        return node, False
    try:
        with db.begin_nested():
            node = Node(address=address)
            db.add(node)
    except IntegrityError:  # created by a concurrent assignment a moment ago
        node = db.scalar(select(Node).where(Node.address == address))
        if node is None:
            raise
        return node, False
    return node, True


def _assign(db: Session, *, actor_id: int | None, user: User, address: str, details: dict[str, Any],
            known_to_network: KnownToNetwork, bulk: bool = False) -> AssignResult:
    _begin_write(db)
    current = open_assignment(db, address)
    if current is not None:
        raise AssignmentError('already_assigned', field='address', owner_email=owner_email(db, address) or '?',
                              same_user=current.user_id == user.id)
    node, created = _get_or_create_node(db, address)
    before_node = {} if created else _node_snapshot(node)
    for key, value in details.items():
        if value is not None:
            setattr(node, key, value)
    assignment = NodeAssignment(node_id=node.id, user_id=user.id, assigned_by=actor_id, assigned_at=utcnow())
    try:
        with db.begin_nested():
            db.add(assignment)
    except IntegrityError as e:  # the partial unique index: someone else assigned it in the meantime
        raise AssignmentError('already_assigned', field='address',
                              owner_email=owner_email(db, address) or '?', same_user=False) from e
    known = known_to_network(address)
    warnings = ('not_on_network',) if known is False else ()
    after = {'user_id': user.id, 'email': user.email, **_node_snapshot(node), 'known_to_network': known}
    if bulk:
        after['bulk'] = True
    audit.record(db, actor_id=actor_id, action='node.assign', target_type='node', target_id=address,
                 before={'user_id': None, **before_node}, after=after)
    emit_after_commit(db, user_ids={user.id}, addresses=[address])
    notify_events.node_assigned(db, user.id, address, node.label, assignment.id)
    return AssignResult(address=address, node_id=node.id, assignment_id=assignment.id, user_id=user.id,
                        node_created=created, known_to_network=known, warnings=warnings)


def _target_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise AssignmentError('user_not_found', field='user')
    return user


def assign_node(db: Session, *, actor_id: int | None, user_id: int, address: str, label: str | None = None,
                gpu_type: str | None = None, gpu_count: int | str | None = None, region: str | None = None,
                gcore_instance_id: str | None = None,
                known_to_network: KnownToNetwork | None = None) -> AssignResult:
    """Assign ``address`` to a user, creating or updating its Node row.

    Raises AssignmentError: ``address_<rule>`` (invalid address), ``<field>_too_long``, ``gpu_count_invalid``,
    ``user_not_found`` or ``already_assigned`` (params: ``email`` of the owner, ``same_user``). A network that does
    not know the address yet gives the warning ``not_on_network``, never a refusal.
    """
    normalised = normalise_address(address)
    details = {'label': _clean_text(label, LABEL_MAX, 'label'),
               'gpu_type': _clean_text(gpu_type, GPU_TYPE_MAX, 'gpu_type'),
               'gpu_count': _clean_count(gpu_count),
               'region': _clean_text(region, REGION_MAX, 'region'),
               'gcore_instance_id': _clean_text(gcore_instance_id, GCORE_ID_MAX, 'gcore_instance_id')}
    user = _target_user(db, user_id)
    return _assign(db, actor_id=actor_id, user=user, address=normalised, details=details,
                   known_to_network=known_to_network or _default_known(db))


def split_paste(text: str) -> list[tuple[int, str]]:
    """(line number, token) for every address in a paste: one per line, or separated by commas, semicolons, blanks."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate((text or '').splitlines(), start=1):
        found.extend((number, token) for token in _SPLIT.split(line.strip()) if token)
    return found


def bulk_assign(db: Session, actor_id: int | None, user_id: int, text: str, *,
                known_to_network: KnownToNetwork | None = None) -> BulkResult:
    """Assign every address in a paste to one user; each entry is validated and reported on its own.

    One bad entry does not stop the others (each runs in its own savepoint). Repeated addresses in the paste are
    reported as ``duplicate_in_paste`` (param ``first_line``). Raises AssignmentError only for the paste as a whole:
    ``bulk_empty``, ``bulk_too_many`` or ``user_not_found``.
    """
    entries = split_paste(text)
    if not entries:
        raise AssignmentError('bulk_empty', field='text')
    if len(entries) > BULK_MAX:
        raise AssignmentError('bulk_too_many', field='text', limit=BULK_MAX, count=len(entries))
    user = _target_user(db, user_id)
    known = known_to_network or _default_known(db)
    seen: dict[str, int] = {}
    lines: list[BulkLine] = []
    _begin_write(db)
    for number, raw in entries:
        try:
            address = normalise_address(raw)
        except AssignmentError as e:
            lines.append(BulkLine(number, raw, None, 'error', e.code, e.params))
            continue
        if address in seen:
            lines.append(BulkLine(number, raw, address, 'error', 'duplicate_in_paste', {'first_line': seen[address]}))
            continue
        seen[address] = number
        try:
            with db.begin_nested():
                result = _assign(db, actor_id=actor_id, user=user, address=address, details={},
                                 known_to_network=known, bulk=True)
        except AssignmentError as e:
            lines.append(BulkLine(number, raw, address, 'error', e.code, e.params))
            continue
        if result.warnings:
            lines.append(BulkLine(number, raw, address, 'warning', result.warnings[0]))
        else:
            lines.append(BulkLine(number, raw, address, 'ok', None, {'known_to_network': result.known_to_network}))
    return BulkResult(tuple(lines))


def unassign_node(db: Session, actor_id: int | None, address: str) -> UnassignResult:
    """Close the open assignment of ``address`` (history kept). Raises AssignmentError ``not_assigned``."""
    normalised = normalise_address(address)
    current = open_assignment(db, normalised)
    if current is None:
        raise AssignmentError('not_assigned', field='address')
    email = owner_email(db, normalised)
    owner_id, assignment_id = current.user_id, current.id
    now = utcnow()
    # Conditional update: of two admins unassigning at once, exactly one closes the assignment.
    closed = db.execute(update(NodeAssignment)
                        .where(NodeAssignment.id == current.id, NodeAssignment.unassigned_at.is_(None))
                        .values(unassigned_at=now, unassigned_by=actor_id)
                        .execution_options(synchronize_session=False))
    if closed.rowcount != 1:
        raise AssignmentError('not_assigned', field='address')
    db.expire(current)
    audit.record(db, actor_id=actor_id, action='node.unassign', target_type='node', target_id=normalised,
                 before={'user_id': owner_id, 'email': email}, after={'user_id': None})
    if owner_id is not None:
        emit_after_commit(db, user_ids={owner_id})
    notify_events.node_unassigned(db, owner_id, normalised, assignment_id)
    return UnassignResult(address=normalised, user_id=owner_id, assignment_id=assignment_id)


def assignment_history(db: Session, address: str) -> list[NodeAssignment]:
    """Every assignment of an address, oldest first."""
    return list(db.scalars(select(NodeAssignment).join(Node, Node.id == NodeAssignment.node_id)
                           .where(Node.address == address).order_by(NodeAssignment.assigned_at, NodeAssignment.id)))


def open_node_count(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(NodeAssignment).where(
        NodeAssignment.user_id == user_id, NodeAssignment.unassigned_at.is_(None))) or 0
