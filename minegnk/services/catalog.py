"""The GPU catalog customers choose from when they request a node: prices per GPU-hour or "contact sales"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minegnk.db.models import GpuCatalogEntry, User
from minegnk.services import audit

# Seeded at every start when missing; existing rows (and an admin's edits) are never overwritten.
# No prices are invented here: a seeded entry says "contact sales" until an admin sets one.
DEFAULT_ENTRIES = (
    ('A100', 'NVIDIA A100 80GB', 80),
    ('H100', 'NVIDIA H100 80GB', 80),
    ('H200', 'NVIDIA H200 141GB', 141),
    ('B200', 'NVIDIA B200 192GB', 192),
    ('B300', 'NVIDIA B300 288GB', 288),
)
PRICE_MAX = Decimal('99999999')  # Numeric(12, 4)
PRICE_PLACES = 4
CODE_PATTERN = re.compile(r'^[A-Z0-9][A-Z0-9_-]{0,31}$')


class CatalogError(ValueError):
    """A refused catalog change; ``code`` names the reason (translated by the caller), ``field`` the input."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class CatalogItem:
    id: int
    code: str
    name: str
    vram_gb: int | None
    price_per_gpu_hour: Decimal | None  # None: contact sales
    price_currency: str
    visible: bool
    sort_order: int
    updated_at: datetime


def _item(entry: GpuCatalogEntry) -> CatalogItem:
    price = None if entry.price_per_gpu_hour is None else Decimal(entry.price_per_gpu_hour)
    return CatalogItem(id=entry.id, code=entry.code, name=entry.name, vram_gb=entry.vram_gb, price_per_gpu_hour=price,
                       price_currency=entry.price_currency, visible=entry.visible, sort_order=entry.sort_order,
                       updated_at=entry.updated_at)


def ensure_default_catalog(session: Session) -> int:
    """Add the default GPU types that are missing; returns how many were added. Safe to run at every start,
    also by two processes at once (the unique code decides)."""
    existing = set(session.scalars(select(GpuCatalogEntry.code)))
    added = 0
    for order, (code, name, vram) in enumerate(DEFAULT_ENTRIES):
        if code in existing:
            continue
        try:
            with session.begin_nested():
                session.add(GpuCatalogEntry(code=code, name=name, vram_gb=vram, price_per_gpu_hour=None,
                                            visible=True, sort_order=(order + 1) * 10))
            added += 1
        except IntegrityError:  # another process seeded it in the meantime
            pass
    return added


def list_entries(session: Session, *, visible_only: bool = False) -> list[CatalogItem]:
    query = select(GpuCatalogEntry).order_by(GpuCatalogEntry.sort_order, GpuCatalogEntry.code)
    if visible_only:
        query = query.where(GpuCatalogEntry.visible.is_(True))
    return [_item(e) for e in session.scalars(query)]


def visible_entry(session: Session, code: str) -> CatalogItem | None:
    entry = session.scalar(select(GpuCatalogEntry).where(GpuCatalogEntry.code == code,
                                                         GpuCatalogEntry.visible.is_(True)))
    return None if entry is None else _item(entry)


def parse_price(raw: str | Decimal | None) -> Decimal | None:
    """A price per GPU-hour; empty means "contact sales". Accepts a decimal comma."""
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = str(raw).strip().replace(' ', '').replace('\u00a0', '').replace(',', '.')
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation as e:
            raise CatalogError('price_invalid', 'price') from e
    if not value.is_finite():
        raise CatalogError('price_invalid', 'price')
    if value <= 0:
        raise CatalogError('price_not_positive', 'price')
    if value >= PRICE_MAX:
        raise CatalogError('price_too_large', 'price')
    if -value.as_tuple().exponent > PRICE_PLACES:  # type: ignore[operator]
        raise CatalogError('price_too_precise', 'price')
    return value


def parse_sort_order(raw: int | float | str | None) -> int:
    try:
        value = float(raw) if raw not in (None, '') else 0.0
        whole = value == int(value)
    except (TypeError, ValueError, OverflowError) as e:
        raise CatalogError('order_invalid', 'sort_order') from e
    if not whole or not -100_000 <= value <= 100_000:
        raise CatalogError('order_invalid', 'sort_order')
    return int(value)


def _require_admin(session: Session, actor_id: int) -> None:
    actor = session.get(User, actor_id)
    if actor is None or not actor.is_active or not actor.is_admin:
        raise CatalogError('forbidden')


def _snapshot(entry: GpuCatalogEntry) -> dict:
    return {'name': entry.name, 'vram_gb': entry.vram_gb,
            'price_per_gpu_hour': None if entry.price_per_gpu_hour is None else str(entry.price_per_gpu_hour),
            'visible': entry.visible, 'sort_order': entry.sort_order}


def update_entry(session: Session, *, actor_id: int, entry_id: int, price: str | Decimal | None, visible: bool,
                 sort_order: int | float | str | None, name: str | None = None) -> CatalogItem:
    """Change an entry's price (empty: contact sales), visibility, order and optionally its name; audited."""
    _require_admin(session, actor_id)
    entry = session.get(GpuCatalogEntry, entry_id)
    if entry is None:
        raise CatalogError('not_found')
    new_price = parse_price(price)
    new_order = parse_sort_order(sort_order)
    new_name = entry.name if name is None else _check_name(name)
    before = _snapshot(entry)
    entry.price_per_gpu_hour, entry.visible, entry.sort_order, entry.name = new_price, bool(visible), new_order, new_name
    after = _snapshot(entry)
    if before != after:
        session.flush()
        audit.record(session, actor_id=actor_id, action='catalog.update', target_type='gpu_catalog',
                     target_id=entry.code, before=before, after=after)
    return _item(entry)


def _check_name(name: str) -> str:
    name = (name or '').strip()
    if not name or len(name) > 100:
        raise CatalogError('name_invalid', 'name')
    return name


def add_entry(session: Session, *, actor_id: int, code: str, name: str, vram_gb: int | float | None = None,
              price: str | Decimal | None = None) -> CatalogItem:
    """A new GPU type (visible, placed last); audited."""
    _require_admin(session, actor_id)
    code = (code or '').strip().upper()
    if not CODE_PATTERN.match(code):
        raise CatalogError('code_invalid', 'code')
    name = _check_name(name)
    if vram_gb in ('', None):
        vram = None
    else:
        try:
            number = float(vram_gb)  # type: ignore[arg-type]
            int(number)
        except (TypeError, ValueError, OverflowError) as e:
            raise CatalogError('vram_invalid', 'vram_gb') from e
        if number != int(number) or not 1 <= number <= 10_000:
            raise CatalogError('vram_invalid', 'vram_gb')
        vram = int(number)
    new_price = parse_price(price)
    if session.scalar(select(GpuCatalogEntry.id).where(func.upper(GpuCatalogEntry.code) == code)) is not None:
        raise CatalogError('code_taken', 'code')
    last = session.scalar(select(func.max(GpuCatalogEntry.sort_order))) or 0
    entry = GpuCatalogEntry(code=code, name=name, vram_gb=vram, price_per_gpu_hour=new_price, visible=True,
                            sort_order=last + 10)
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError as e:
        raise CatalogError('code_taken', 'code') from e
    audit.record(session, actor_id=actor_id, action='catalog.add', target_type='gpu_catalog', target_id=code,
                 after=_snapshot(entry))
    return _item(entry)
