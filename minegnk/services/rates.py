"""Exchange rates: GNK→USD and USD→EUR, each with the time it was valid ("as of") and where it came from.

Rates are kept as history (``ExchangeRate`` rows); for each pair the row with the newest ``as_of`` wins (ties: the
one entered last). ``1 base = rate quote``. Amounts stay ``Decimal`` all the way: GNK→EUR is computed as
``GNK × (GNK→USD) × (USD→EUR)`` with no intermediate rounding.

Precision: a rate may have at most 18 decimal places (the column is NUMERIC(38, 18)) and at most 15 significant
digits. The second limit exists because SQLAlchemy passes NUMERIC values to SQLite as binary floats, which keep 15
significant digits exactly; with it, a rate reads back identical on SQLite and PostgreSQL.

Optional HTTP price provider
----------------------------
``fetch_http_rate(url, client)`` reads a JSON document of this shape from a URL the operator configures (there is
no default provider, and none of the public price aggregators is assumed)::

    {"gnk_usd": "0.0123", "as_of": "2026-11-25T10:00:00Z"}

``gnk_usd`` is a decimal *string* (a JSON number is accepted only if it is an integer, because floats lose digits);
``as_of`` is an ISO-8601 time with a zone. The same precision rules as for manual rates apply. ``record_http_rate``
stores the result with source ``http``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from minegnk.db.models import ExchangeRate, User, utcnow
from minegnk.services import audit
from minegnk.services.units import NGONKA_PER_GNK

PAIRS: tuple[tuple[str, str], ...] = (('GNK', 'USD'), ('USD', 'EUR'))
CURRENCIES = ('GNK', 'USD', 'EUR')
MAX_DECIMALS = 18
MAX_SIGNIFICANT = 15
MAX_INTEGER_DIGITS = 20  # NUMERIC(38, 18)
FUTURE_TOLERANCE = timedelta(minutes=5)
HTTP_MAX_BYTES = 64 * 1024
_EXACT = 80  # decimal precision for conversions: far beyond any product of an int64 amount and two rates


class RateError(ValueError):
    """A refused rate. ``code`` names the reason (translated by the UI); ``params`` fill in the message."""

    def __init__(self, code: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params


@dataclass(frozen=True)
class RateValue:
    base: str
    quote: str
    rate: Decimal
    source: str  # manual | http
    as_of: datetime
    age: timedelta
    created_by_email: str | None = None


@dataclass(frozen=True)
class Rates:
    gnk_usd: RateValue | None
    usd_eur: RateValue | None

    def get(self, base: str, quote: str) -> RateValue | None:
        return {('GNK', 'USD'): self.gnk_usd, ('USD', 'EUR'): self.usd_eur}.get((base, quote))


@dataclass(frozen=True)
class Converted:
    amount: Decimal
    currency: str
    rate: Decimal  # 1 GNK = rate currency (the product of the rates used)
    source: str  # manual | http | manual+http
    as_of: datetime | None  # the oldest "as of" of the rates used (None for GNK itself)


@dataclass(frozen=True)
class HttpRate:
    gnk_usd: Decimal
    as_of: datetime


def parse_rate(value: Decimal | str | int) -> Decimal:
    """A positive decimal within the precision rules, or RateError (``rate_invalid``, ``rate_not_positive``,
    ``rate_too_many_decimals``, ``rate_too_many_digits``, ``rate_too_large``). Accepts "0,92" as well as "0.92"."""
    if isinstance(value, bool | float):
        raise RateError('rate_invalid', field='rate')
    if isinstance(value, str):
        text = value.strip().replace(' ', '').replace('_', '').replace('\u00a0', '')
        if ',' in text and '.' not in text:
            text = text.replace(',', '.')
        if not text:
            raise RateError('rate_invalid', field='rate')
        try:
            number = Decimal(text)
        except InvalidOperation as e:
            raise RateError('rate_invalid', field='rate') from e
    elif isinstance(value, Decimal | int):
        number = Decimal(value)
    else:
        raise RateError('rate_invalid', field='rate')
    if not number.is_finite():
        raise RateError('rate_invalid', field='rate')
    if number <= 0:
        raise RateError('rate_not_positive', field='rate')
    normal = number.normalize()
    _sign, digits, exponent = normal.as_tuple()
    assert isinstance(exponent, int)
    if -exponent > MAX_DECIMALS:
        raise RateError('rate_too_many_decimals', field='rate', limit=MAX_DECIMALS)
    integer_digits = len(digits) + exponent
    if integer_digits > MAX_INTEGER_DIGITS:
        raise RateError('rate_too_large', field='rate')
    if len(digits) > MAX_SIGNIFICANT:
        raise RateError('rate_too_many_digits', field='rate', limit=MAX_SIGNIFICANT)
    return normal if exponent <= 0 else Decimal(int(normal))


def _check_as_of(as_of: datetime, now: datetime) -> datetime:
    if not isinstance(as_of, datetime):
        raise RateError('as_of_invalid', field='as_of')
    if as_of.tzinfo is None:
        raise RateError('as_of_invalid', field='as_of')
    if as_of > now + FUTURE_TOLERANCE:
        raise RateError('as_of_future', field='as_of')
    return as_of


def _check_pair(base: str, quote: str) -> tuple[str, str]:
    pair = ((base or '').upper(), (quote or '').upper())
    if pair not in PAIRS:
        raise RateError('pair_invalid', field='pair')
    return pair


def _stored(value: Any, dialect: str) -> Decimal:
    """The rate as entered: undo SQLite's float round trip (15 significant digits are exact there)."""
    number = Decimal(value)
    if dialect == 'sqlite':
        with localcontext() as ctx:
            ctx.prec = MAX_SIGNIFICANT
            number = +number
    normal = number.normalize()
    exponent = normal.as_tuple().exponent
    return normal if isinstance(exponent, int) and exponent <= 0 else Decimal(int(normal))


def _dialect(db: Session) -> str:
    return db.get_bind().dialect.name


def _newest(db: Session, base: str, quote: str) -> ExchangeRate | None:
    return db.scalar(select(ExchangeRate).where(ExchangeRate.base == base, ExchangeRate.quote == quote)
                     .order_by(ExchangeRate.as_of.desc(), ExchangeRate.id.desc()).limit(1))


def _value(db: Session, row: ExchangeRate | None, now: datetime) -> RateValue | None:
    if row is None:
        return None
    email = db.scalar(select(User.email).where(User.id == row.created_by)) if row.created_by else None
    return RateValue(base=row.base, quote=row.quote, rate=_stored(row.rate, _dialect(db)), source=row.source,
                     as_of=row.as_of, age=max(timedelta(0), now - row.as_of), created_by_email=email)


def set_manual_rate(db: Session, actor_id: int | None, base: str, quote: str, rate: Decimal | str,
                    as_of: datetime, *, now: datetime | None = None) -> RateValue:
    """Record a manual rate. Raises RateError: ``pair_invalid``, the ``rate_*`` codes of ``parse_rate``,
    ``as_of_invalid`` (missing or without a zone) or ``as_of_future``."""
    now = now or utcnow()
    base, quote = _check_pair(base, quote)
    value = parse_rate(rate)
    as_of = _check_as_of(as_of, now)
    previous = _value(db, _newest(db, base, quote), now)
    row = ExchangeRate(base=base, quote=quote, rate=value, source='manual', as_of=as_of, created_by=actor_id,
                       created_at=now)
    db.add(row)
    db.flush()
    audit.record(db, actor_id=actor_id, action='rate.set', target_type='rate', target_id=f'{base}/{quote}',
                 before=None if previous is None else {'rate': format(previous.rate, 'f'), 'as_of': previous.as_of.isoformat(),
                                                       'source': previous.source},
                 after={'rate': format(value, 'f'), 'as_of': as_of.isoformat(), 'source': 'manual'})
    return _value(db, row, now)  # type: ignore[return-value]


def record_http_rate(db: Session, fetched: HttpRate) -> RateValue:
    """Store a rate from the HTTP provider (source ``http``); for the refresh job."""
    now = utcnow()
    row = ExchangeRate(base='GNK', quote='USD', rate=parse_rate(fetched.gnk_usd), source='http',
                       as_of=_check_as_of(fetched.as_of, now), created_at=now)
    db.add(row)
    db.flush()
    return _value(db, row, now)  # type: ignore[return-value]


def current_rates(db: Session, *, now: datetime | None = None) -> Rates:
    now = now or utcnow()
    return Rates(gnk_usd=_value(db, _newest(db, 'GNK', 'USD'), now),
                 usd_eur=_value(db, _newest(db, 'USD', 'EUR'), now))


def rate_history(db: Session, *, base: str | None = None, quote: str | None = None, limit: int = 100,
                 now: datetime | None = None) -> list[RateValue]:
    now = now or utcnow()
    query = select(ExchangeRate)
    if base:
        query = query.where(ExchangeRate.base == base)
    if quote:
        query = query.where(ExchangeRate.quote == quote)
    rows = db.scalars(query.order_by(ExchangeRate.as_of.desc(), ExchangeRate.id.desc()).limit(limit)).all()
    return [_value(db, row, now) for row in rows]  # type: ignore[misc]


def convert(ngonka: int, currency: str, rates: Rates) -> Converted | None:
    """An integer ngonka amount in GNK, USD or EUR, exactly; None when a needed rate is missing.

    GNK→EUR goes through USD: ``amount = ngonka / 10⁹ × (GNK→USD) × (USD→EUR)``.
    """
    if isinstance(ngonka, bool) or not isinstance(ngonka, int):
        raise TypeError('ngonka must be an int')
    currency = (currency or '').upper()
    with localcontext() as ctx:
        ctx.prec = _EXACT
        gnk = Decimal(ngonka) / NGONKA_PER_GNK
        if currency == 'GNK':
            return Converted(amount=gnk, currency='GNK', rate=Decimal(1), source='native', as_of=None)
        used: list[RateValue] = []
        if currency == 'USD':
            used = [rates.gnk_usd] if rates.gnk_usd else []
            needed = 1
        elif currency == 'EUR':
            used = [r for r in (rates.gnk_usd, rates.usd_eur) if r is not None]
            needed = 2
        else:
            return None
        if len(used) != needed:
            return None
        rate = Decimal(1)
        for value in used:
            rate *= value.rate
        sources = sorted({value.source for value in used})
        return Converted(amount=gnk * rate, currency=currency, rate=rate, source='+'.join(sources),
                         as_of=min(value.as_of for value in used))


def parse_http_payload(data: Any, *, now: datetime | None = None) -> HttpRate:
    """Validate the provider's JSON (see the module docstring). Raises RateError ``http_payload_invalid`` or the
    ``rate_*``/``as_of_*`` codes."""
    now = now or utcnow()
    if not isinstance(data, dict) or 'gnk_usd' not in data or 'as_of' not in data:
        raise RateError('http_payload_invalid')
    raw_rate, raw_time = data['gnk_usd'], data['as_of']
    if isinstance(raw_rate, bool) or not isinstance(raw_rate, str | int):
        raise RateError('http_payload_invalid')
    if not isinstance(raw_time, str):
        raise RateError('http_payload_invalid')
    try:
        as_of = datetime.fromisoformat(raw_time.replace('Z', '+00:00'))
    except ValueError as e:
        raise RateError('http_payload_invalid') from e
    return HttpRate(gnk_usd=parse_rate(raw_rate), as_of=_check_as_of(as_of, now))


async def fetch_http_rate(url: str, client: httpx.AsyncClient) -> HttpRate:
    """GET ``url`` and parse the provider JSON. Raises RateError ``http_error`` (with ``reason``) or a parse code.

    The caller owns the client (timeouts, proxies); nothing here has a default URL.
    """
    if not url or not url.lower().startswith(('https://', 'http://')):
        raise RateError('http_url_invalid')
    try:
        response = await client.get(url, headers={'Accept': 'application/json'})
    except httpx.HTTPError as e:
        raise RateError('http_error', reason=type(e).__name__) from e
    if response.status_code != 200:
        raise RateError('http_error', reason=f'HTTP {response.status_code}')
    if len(response.content) > HTTP_MAX_BYTES:
        raise RateError('http_error', reason='response too large')
    try:
        data = response.json()
    except ValueError as e:
        raise RateError('http_payload_invalid') from e
    return parse_http_payload(data)
