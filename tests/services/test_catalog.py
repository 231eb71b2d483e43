"""GPU catalog on SQLite and PostgreSQL: idempotent seeding, price rules, visibility, admin-only edits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from minegnk.db.engine import session_scope
from minegnk.db.models import AuditLog, GpuCatalogEntry
from minegnk.services import accounts, catalog
from minegnk.services.catalog import CatalogError

PASSWORD = 'correct horse battery'


def make_user(email: str, *, admin: bool = False) -> int:
    with session_scope() as db:
        if admin:
            return accounts.ensure_admin(db, email, PASSWORD)[0].id
        return accounts.register(db, email, PASSWORD).id


def test_seeding_is_idempotent_and_keeps_admin_edits(database):
    with session_scope() as db:
        assert catalog.ensure_default_catalog(db) == 5
    with session_scope() as db:
        assert catalog.ensure_default_catalog(db) == 0
        assert [e.code for e in catalog.list_entries(db)] == ['A100', 'H100', 'H200', 'B200', 'B300']
        assert all(e.price_per_gpu_hour is None and e.visible for e in catalog.list_entries(db))
    admin = make_user('root@example.com', admin=True)
    with session_scope() as db:
        h100 = next(e for e in catalog.list_entries(db) if e.code == 'H100')
        catalog.update_entry(db, actor_id=admin, entry_id=h100.id, price='2,35', visible=False, sort_order=5)
    with session_scope() as db:
        db.execute(GpuCatalogEntry.__table__.delete().where(GpuCatalogEntry.code == 'B300'))
    with session_scope() as db:
        assert catalog.ensure_default_catalog(db) == 1  # only the missing one comes back
        entries = {e.code: e for e in catalog.list_entries(db)}
        assert entries['H100'].price_per_gpu_hour == Decimal('2.35')
        assert entries['H100'].visible is False
        assert [e.code for e in catalog.list_entries(db)][0] == 'H100'  # order 5 sorts first
        assert 'H100' not in [e.code for e in catalog.list_entries(db, visible_only=True)]
        assert catalog.visible_entry(db, 'H100') is None
        assert catalog.visible_entry(db, 'A100') is not None


@pytest.mark.parametrize(('raw', 'expected'), [
    ('', None), ('  ', None), (None, None), ('2.5', Decimal('2.5')), ('1 234,5', Decimal('1234.5')),
    ('0.0001', Decimal('0.0001')), (Decimal('3'), Decimal('3')),
])
def test_price_parsing(raw, expected):
    assert catalog.parse_price(raw) == expected


@pytest.mark.parametrize(('raw', 'code'), [
    ('abc', 'price_invalid'), ('NaN', 'price_invalid'), ('Infinity', 'price_invalid'), ('0', 'price_not_positive'),
    ('-1', 'price_not_positive'), ('0.00001', 'price_too_precise'), ('100000000', 'price_too_large'),
])
def test_bad_prices_are_refused(raw, code):
    with pytest.raises(CatalogError) as e:
        catalog.parse_price(raw)
    assert e.value.code == code


def test_update_is_audited_and_refused_for_non_admins_and_bad_input(database):
    admin = make_user('root@example.com', admin=True)
    customer = make_user('alice@example.com')
    with session_scope() as db:
        catalog.ensure_default_catalog(db)
        entry_id = catalog.list_entries(db)[0].id
    with session_scope() as db, pytest.raises(CatalogError) as e:
        catalog.update_entry(db, actor_id=customer, entry_id=entry_id, price='1', visible=True, sort_order=1)
    assert e.value.code == 'forbidden'
    for price, order, code in (('-2', 1, 'price_not_positive'), ('2', 'x', 'order_invalid'), ('2', 1.5, 'order_invalid')):
        with session_scope() as db, pytest.raises(CatalogError) as e:
            catalog.update_entry(db, actor_id=admin, entry_id=entry_id, price=price, visible=True, sort_order=order)
        assert e.value.code == code
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like('catalog.%'))) == 0
        catalog.update_entry(db, actor_id=admin, entry_id=entry_id, price='1.2500', visible=True, sort_order=1)
    with session_scope() as db:
        log = db.scalar(select(AuditLog).where(AuditLog.action == 'catalog.update'))
        assert log.actor_id == admin and log.target_id == 'A100'
        assert log.before['price_per_gpu_hour'] is None
        assert Decimal(log.after['price_per_gpu_hour']) == Decimal('1.25')
        catalog.update_entry(db, actor_id=admin, entry_id=entry_id, price='', visible=True, sort_order=1)
    with session_scope() as db:
        assert catalog.list_entries(db)[0].price_per_gpu_hour is None  # back to "contact sales"
        with pytest.raises(CatalogError) as e:
            catalog.update_entry(db, actor_id=admin, entry_id=99999, price='', visible=True, sort_order=1)
        assert e.value.code == 'not_found'


def test_add_entry(database):
    admin = make_user('root@example.com', admin=True)
    with session_scope() as db:
        catalog.ensure_default_catalog(db)
        item = catalog.add_entry(db, actor_id=admin, code='rtx5090', name='NVIDIA RTX 5090', vram_gb='32', price='0.9')
        assert item.code == 'RTX5090' and item.vram_gb == 32 and item.sort_order == 60
    for kwargs, code in (({'code': 'h100'}, 'code_taken'), ({'code': 'bad code!'}, 'code_invalid'),
                         ({'name': ''}, 'name_invalid'), ({'vram_gb': '1.5'}, 'vram_invalid'),
                         ({'price': 'x'}, 'price_invalid')):
        args = {'code': 'NEW1', 'name': 'New', 'vram_gb': None, 'price': None} | kwargs
        with session_scope() as db, pytest.raises(CatalogError) as e:
            catalog.add_entry(db, actor_id=admin, **args)
        assert e.value.code == code
