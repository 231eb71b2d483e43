"""Exchange rates on SQLite and PostgreSQL: validation, newest-per-pair, exact Decimal conversion, HTTP provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from minegnk.db.engine import session_scope
from minegnk.db.models import AuditLog, ExchangeRate
from minegnk.services import accounts, rates
from minegnk.services.rates import RateError

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def admin(database) -> int:
    with session_scope() as db:
        return accounts.ensure_admin(db, 'root@example.com', 'correct horse battery')[0].id


def set_rate(admin: int, base: str, quote: str, rate, as_of=NOW - timedelta(hours=1)) -> rates.RateValue:
    with session_scope() as db:
        return rates.set_manual_rate(db, admin, base, quote, rate, as_of, now=NOW)


@pytest.mark.parametrize(('value', 'code'), [
    ('', 'rate_invalid'), ('abc', 'rate_invalid'), ('1.2.3', 'rate_invalid'), ('NaN', 'rate_invalid'),
    ('Infinity', 'rate_invalid'), (0.5, 'rate_invalid'), ('0', 'rate_not_positive'), ('-0.1', 'rate_not_positive'),
    ('0.0000000000000000001', 'rate_too_many_decimals'), ('1.234567890123456', 'rate_too_many_digits'),
    ('1e21', 'rate_too_large'),
])
def test_bad_rates_are_refused_and_store_nothing(admin, value, code):
    with pytest.raises(RateError) as error:
        set_rate(admin, 'GNK', 'USD', value)
    assert error.value.code == code and error.value.field == 'rate'
    with session_scope() as db:
        assert db.scalars(select(ExchangeRate)).all() == []


def test_bad_pair_and_times_are_refused(admin):
    for kwargs, code in [({'base': 'BTC'}, 'pair_invalid'), ({'as_of': datetime(2026, 11, 25, 10, 0)}, 'as_of_invalid'),
                         ({'as_of': NOW + timedelta(hours=1)}, 'as_of_future')]:
        args = {'base': 'GNK', 'quote': 'USD', 'rate': '1', 'as_of': NOW} | kwargs
        with pytest.raises(RateError) as error:
            set_rate(admin, args['base'], args['quote'], args['rate'], args['as_of'])
        assert error.value.code == code


@pytest.mark.parametrize('text', ['0.000000000000000001', '0.000123456789012345', '123456789012345', '0.92',
                                  '12345.6789', '1,5'])
def test_many_decimals_round_trip_exactly(admin, text):
    set_rate(admin, 'GNK', 'USD', text)
    with session_scope() as db:
        current = rates.current_rates(db, now=NOW)
    assert current.gnk_usd.rate == Decimal(text.replace(',', '.'))
    assert current.gnk_usd.source == 'manual' and current.gnk_usd.created_by_email == 'root@example.com'
    assert current.gnk_usd.age == timedelta(hours=1)


def test_newest_as_of_wins_and_history_is_kept_with_audit(admin):
    set_rate(admin, 'GNK', 'USD', '0.01', NOW - timedelta(hours=3))
    set_rate(admin, 'GNK', 'USD', '0.02', NOW - timedelta(hours=1))
    set_rate(admin, 'GNK', 'USD', '0.015', NOW - timedelta(hours=2))  # a late correction of an older value
    with session_scope() as db:
        assert rates.current_rates(db, now=NOW).gnk_usd.rate == Decimal('0.02')
        assert rates.current_rates(db, now=NOW).usd_eur is None
        assert [r.rate for r in rates.rate_history(db, now=NOW)] == [Decimal('0.02'), Decimal('0.015'), Decimal('0.01')]
        entries = db.scalars(select(AuditLog).where(AuditLog.action == 'rate.set').order_by(AuditLog.id)).all()
        assert [e.after['rate'] for e in entries] == ['0.01', '0.02', '0.015']
        assert entries[0].before is None and entries[1].before['rate'] == '0.01'


def test_convert_gnk_to_eur_goes_through_usd_exactly(admin):
    set_rate(admin, 'GNK', 'USD', '0.012345678901234', NOW - timedelta(hours=2))
    set_rate(admin, 'USD', 'EUR', '0.923456789012345', NOW - timedelta(minutes=5))
    with session_scope() as db:
        current = rates.current_rates(db, now=NOW)
    ngonka = 123_456_789_123_456_789
    usd = rates.convert(ngonka, 'USD', current)
    eur = rates.convert(ngonka, 'EUR', current)
    # exact products (Python's default 28-digit context would round them; the service must not)
    assert usd.amount == Decimal('1524157.876695555652797397777626')
    assert eur.amount == Decimal('1407493.938761151482690890453816025878478792970')  # no rounding anywhere
    assert eur.rate == Decimal('0.011400700996311005183661733730')
    assert eur.as_of == NOW - timedelta(hours=2) and eur.source == 'manual'
    gnk = rates.convert(1, 'GNK', current)
    assert gnk.amount == Decimal('0.000000001')
    assert rates.convert(ngonka, 'JPY', current) is None
    with pytest.raises(TypeError):
        rates.convert(1.5, 'USD', current)  # type: ignore[arg-type]


def test_convert_without_rates_is_none(database):
    with session_scope() as db:
        current = rates.current_rates(db)
    assert rates.convert(10**9, 'USD', current) is None and rates.convert(10**9, 'EUR', current) is None


async def test_http_provider_reads_the_documented_json():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == '/ok':
            return httpx.Response(200, json={'gnk_usd': '0.0123', 'as_of': '2026-11-25T08:00:00Z'})
        if request.url.path == '/float':
            return httpx.Response(200, json={'gnk_usd': 0.0123, 'as_of': '2026-11-25T08:00:00Z'})
        if request.url.path == '/html':
            return httpx.Response(200, text='<html>')
        return httpx.Response(503)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        fetched = await rates.fetch_http_rate('https://prices.example/ok', client)
        assert fetched == rates.HttpRate(Decimal('0.0123'), datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
        for path, code in [('/float', 'http_payload_invalid'), ('/html', 'http_payload_invalid'), ('/down', 'http_error')]:
            with pytest.raises(RateError) as error:
                await rates.fetch_http_rate(f'https://prices.example{path}', client)
            assert error.value.code == code
        with pytest.raises(RateError) as error:
            await rates.fetch_http_rate('', client)
        assert error.value.code == 'http_url_invalid'


def test_http_rate_is_stored_with_its_source(admin):
    with session_scope() as db:
        rates.record_http_rate(db, rates.HttpRate(Decimal('0.05'), datetime.now(UTC) - timedelta(minutes=1)))
    with session_scope() as db:
        current = rates.current_rates(db)
    assert current.gnk_usd.source == 'http' and current.gnk_usd.rate == Decimal('0.05')
