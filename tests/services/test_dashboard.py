"""services.dashboard: buckets, cards, the activity feed (status changes from node_status_changes), node list queries,
health runs and exact money, on SQLite and PostgreSQL where the database is involved."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from customer_seed import (EPOCH, NodeSpec, earnings_rows, history_row, make_user_fast, record_history, seed_network,
                           seed_nodes)
from sqlalchemy import select

from minegnk.db.engine import session_scope
from minegnk.db.models import AuditLog, NodeStatusChange, SupportRequest, SupportRequestEvent, utcnow
from minegnk.services import dashboard as dash
from minegnk.services import nodes as node_reads
from minegnk.services import rates as rate_service
from minegnk.services import status_history
from minegnk.services.nodes import StatusPoint

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


# ------------------------------------------------------------------------------------------------ earnings buckets
def test_daily_buckets_cover_the_window_and_sum_exactly():
    rows = [(1, NOW - timedelta(days=d, hours=1), 1_000_000_001 * (d + 1)) for d in range(40)]
    series = dash.earnings_series(rows, node_ids=[1], days=30, bucket='day', now=NOW)
    assert len(series.starts) == 30 and series.starts[-1] == date(2026, 11, 25)
    assert series.settled_sum == sum(1_000_000_001 * (d + 1) for d in range(30))
    assert series.settled[1][-1] == 1_000_000_001


def test_weekly_buckets_start_on_monday():
    rows = [(1, NOW - timedelta(days=d), 10) for d in range(90)]
    series = dash.earnings_series(rows, node_ids=[1], days=90, bucket='week', now=NOW)
    assert all(start.weekday() == 0 for start in series.starts)
    assert series.settled_sum == 900
    assert series.starts[-1] == date(2026, 11, 23)


def test_local_day_decides_the_bucket():
    late = datetime(2026, 11, 24, 22, 30, tzinfo=timezone.utc)  # already the 25th in Moscow (UTC+3)
    rows = [(1, late, 5)]
    utc = dash.earnings_series(rows, node_ids=[1], days=2, now=NOW)
    moscow = dash.earnings_series(rows, node_ids=[1], days=2, now=NOW, tz=ZoneInfo('Europe/Moscow'))
    assert utc.settled[1] == [5, 0] and moscow.settled[1] == [0, 5]


def test_estimate_goes_into_the_current_bucket_only_and_unknown_nodes_are_ignored():
    series = dash.earnings_series([(9, NOW, 100)], node_ids=[1, 2], estimates={1: 7, 2: 0, 3: 99}, days=7, now=NOW)
    assert series.estimate[1] == [0] * 6 + [7] and series.estimate_sum == 7 and series.settled_sum == 0
    with pytest.raises(ValueError):
        dash.earnings_series([], node_ids=[], bucket='month')


# ------------------------------------------------------------------------------------------------ money
@pytest.mark.parametrize(('ngonka', 'rate', 'expected'), [
    (3_479_526_833_596, '0.012345678901234', '42.96'),
    (1, '0.000000000000000001', '0.00'),
    (10**18, '123456789.123456', '123456789123456000.00'),
    (5_000_000_000, '0.001', '0.00'),  # 0.005 rounds half-even to 0.00
    (15_000_000_000, '0.001', '0.02'),  # 0.015 -> 0.02
])
def test_currency_amount_is_exact_then_rounded_once(ngonka, rate, expected):
    value = rate_service.RateValue('GNK', 'USD', Decimal(rate), 'manual', NOW, timedelta(0))
    rates = rate_service.Rates(gnk_usd=value, usd_eur=None)
    assert format(dash.currency_amount(ngonka, 'USD', rates), 'f') == expected
    assert dash.currency_amount(ngonka, 'EUR', rates) is None  # no USD->EUR rate


def test_gnk_exact_and_csv_safe():
    assert dash.gnk_exact(38_627_452_617_213) == '38627.452617213'
    assert dash.gnk_exact(1) == '0.000000001' and dash.gnk_exact(0) == '0.000000000'
    assert dash.csv_safe('=1+1') == "'=1+1" and dash.csv_safe('@x') == "'@x" and dash.csv_safe('ok') == 'ok'
    assert dash.csv_safe(None) == ''


# ------------------------------------------------------------------------------------------------ node list
def _summary(i: int, status: str, **kw) -> node_reads.NodeSummary:
    base = dict(node_id=i, address=f'gonka1{i:038d}', label=kw.pop('label', f'n{i}'), gpu_type=kw.pop('gpu', 'H100'),
                gpu_count=1, region=None, gcore_instance_id=None, assigned_at=NOW, status=status, reasons=[], models=[],
                weight=None, weight_share=kw.pop('share', None), inference_count=None, missed_requests=None,
                missed_rate=None, epoch_work_ngonka=None, reward_estimate_ngonka=None,
                per_day_ngonka=kw.pop('per_day', None), total_ngonka=kw.pop('total', 0), settled_epochs=0, source=None,
                data_as_of=None, fetched_at=None, stale=False, stale_reason=None)
    base.update(kw)
    return node_reads.NodeSummary(**base)


def test_filter_sort_and_page():
    nodes = [_summary(1, 'healthy', total=5, per_day=1), _summary(2, 'jailed', total=9, gpu='A100'),
             _summary(3, 'healthy', total=1, per_day=3, label='Special'), _summary(4, 'offline', total=7)]
    page = dash.filter_nodes(nodes, dash.NodeQuery())
    assert [s.node_id for s in page.rows] == [2, 4, 1, 3] and page.gpu_types == ['A100', 'H100']
    page = dash.filter_nodes(nodes, dash.NodeQuery(sort='per_day', descending=True))
    assert [s.node_id for s in page.rows] == [3, 1, 2, 4]  # unknown per-day last in both directions
    page = dash.filter_nodes(nodes, dash.NodeQuery(sort='per_day'))
    assert [s.node_id for s in page.rows] == [1, 3, 2, 4]
    assert [s.node_id for s in dash.filter_nodes(nodes, dash.NodeQuery(status='attention')).rows] == [2, 4]
    assert [s.node_id for s in dash.filter_nodes(nodes, dash.NodeQuery(gpu='A100')).rows] == [2]
    assert [s.node_id for s in dash.filter_nodes(nodes, dash.NodeQuery(text='speC')).rows] == [3]
    assert [s.node_id for s in dash.filter_nodes(nodes, dash.NodeQuery(text='00000004')).rows] == [4]
    page = dash.filter_nodes(nodes, dash.NodeQuery(per_page=10, page=9))
    assert page.query.page == 1 and page.total == 4


def test_query_round_trips_through_the_url_and_rejects_junk():
    query = dash.NodeQuery(status='jailed', gpu='H100', text='abc', sort='total', descending=True, page=3, per_page=50)
    assert dash.NodeQuery.from_params(query.to_params()) == query
    assert dash.NodeQuery().to_params() == {}
    assert dash.NodeQuery.from_params({'status': 'x', 'sort': 'y', 'page': 'z', 'per': '13'}) == dash.NodeQuery()


# ------------------------------------------------------------------------------------------------ health runs
def _points(statuses: list[tuple[int, str]]) -> list[StatusPoint]:
    return [StatusPoint(NOW + timedelta(minutes=m), s, [], None, None, EPOCH) for m, s in statuses]


def test_status_runs_merge_equal_neighbours_and_break_at_gaps():
    points = _points([(0, 'healthy'), (2, 'healthy'), (4, 'offline'), (6, 'offline'), (8, 'healthy'),
                      (60, 'healthy'), (62, 'healthy')])
    runs = dash.status_runs(points, max_gap=timedelta(minutes=15))
    assert [(r.status, r.observations) for r in runs] == [('healthy', 2), ('offline', 2), ('healthy', 1),
                                                          ('healthy', 2)]
    assert runs[0].end == runs[1].start and runs[2].end == NOW + timedelta(minutes=8)  # the gap stays empty


def test_uptime_by_day_in_local_time():
    points = _points([(0, 'healthy'), (10, 'offline'), (20, 'unknown'), (60 * 24, 'healthy')])
    periods = dash.uptime_by_period(points, tz=timezone.utc, hours=False)
    assert [share for _d, share in periods] == [Decimal('0.5000'), Decimal('1.0000')]


# ------------------------------------------------------------------------------------------------ with a database
def test_cards_and_feed(database):
    now = utcnow()
    with session_scope() as db:
        user = make_user_fast(db, 'a@example.com')
        other = make_user_fast(db, 'b@example.com')
        seed_network(db, now)
        ids = seed_nodes(db, user.id, [NodeSpec('a', earnings=earnings_rows(10**12, now, 40), gpu_count=8),
                                       NodeSpec('b', 'jailed', gpu_count=None)], now)
        seed_nodes(db, other.id, [NodeSpec('theirs', earnings=earnings_rows(5 * 10**12, now, 40))], now)
        db.add(SupportRequest(user_id=user.id, gpu_type='H100', quantity=1, status='pending'))
        db.add(SupportRequest(user_id=user.id, gpu_type='H100', quantity=1, status='completed'))
        db.add(SupportRequest(user_id=other.id, gpu_type='H100', quantity=1, status='pending'))
        user_id = user.id
    with session_scope() as db:
        summaries = node_reads.user_nodes(db, user_id)
        cards = dash.dashboard_cards(db, user_id, summaries, tz=timezone.utc, now=now)
    expected_30 = sum(r + w for _e, r, w, _c, at in earnings_rows(10**12, now, 40) if at >= now - timedelta(days=30))
    assert cards.earnings_30d_ngonka == expected_30
    assert cards.total_nodes == 2 and cards.healthy_nodes == 1 and cards.attention_nodes == 1
    assert cards.total_gpus == 8 and cards.nodes_without_gpu_info == 1 and cards.open_requests == 1

    node_a = ids[next(iter(ids))]
    record_history(node_a, [(now - timedelta(minutes=m), s) for m, s in ((30, 'healthy'), (28, 'offline'),
                                                                          (26, 'offline'), (24, 'healthy'))])
    with session_scope() as db:
        items = dash.activity_items(db, user_id, current_epoch=EPOCH, now=now)
    changes = [(i.params['from'], i.params['to']) for i in items if i.kind == 'status_change']
    assert changes == [('offline', 'healthy'), ('healthy', 'offline')]
    assert sum(1 for i in items if i.kind == 'epoch_settled') == 40
    assert [i.params['epoch'] for i in items if i.kind == 'reward_unclaimed'] == [EPOCH - 1]
    assert all(i.label != 'theirs' for i in items)

    # A later cycle's change appears, the earlier ones stay.
    record_history(node_a, [(now - timedelta(minutes=1), 'jailed')])
    with session_scope() as db:
        db.add(AuditLog(action='node.unassign', target_type='node', target_id=next(iter(ids)),
                        before={'user_id': user_id}, after={'user_id': None}, created_at=now))
        request = db.scalar(select(SupportRequest).where(SupportRequest.user_id == user_id))
        db.add(SupportRequestEvent(request_id=request.id, kind='status', from_status=None, to_status='pending',
                                   created_at=now - timedelta(minutes=2)))
    with session_scope() as db:
        page = dash.activity_page(db, user_id, page=1, per_page=3, current_epoch=EPOCH, now=now)
    assert [i.kind for i in page.items] == ['node_unassigned', 'status_change', 'request_status']
    assert page.items[1].params['to'] == 'jailed'
    assert page.total == 40 + 1 + 3 + 1 + 1 and page.pages == -(-page.total // 3)
    # A page reads only the newest changes it can hold, yet every page is the same slice of the whole feed.
    with session_scope() as db:
        everything = dash.activity_items(db, user_id, current_epoch=EPOCH, now=now)
        for number in range(1, page.pages + 1):
            assert dash.activity_page(db, user_id, page=number, per_page=3, current_epoch=EPOCH, now=now).items \
                == everything[(number - 1) * 3:number * 3]
        assert dash.activity_page(db, user_id, page=99, per_page=3, current_epoch=EPOCH, now=now).page == page.pages


# ------------------------------------------------------------------------------------------------ status changes
def _row(node_id: int, minute: int, status: str) -> dict:
    return {'node_id': node_id, 'observed_at': NOW + timedelta(minutes=minute), 'status': status,
            'reasons': [{'code': status, 'params': {}}] if status != 'healthy' else []}


def test_changes_between_counts_transitions_only():
    rows = [_row(1, 0, 'healthy'), _row(1, 2, 'offline'), _row(1, 4, 'offline'), _row(1, 6, 'healthy')]
    changes = status_history.changes_between(rows[::-1], {})  # any order in, time order out
    assert [(c['from_status'], c['to_status'], c['changed_at']) for c in changes] == [
        ('healthy', 'offline', NOW + timedelta(minutes=2)), ('offline', 'healthy', NOW + timedelta(minutes=6))]
    assert changes[0]['reasons'] == [{'code': 'offline', 'params': {}}]
    assert status_history.changes_between([_row(2, 0, 'jailed')], {}) == []  # the first status ever is no change
    assert status_history.changes_between([_row(2, 0, 'jailed')], {2: 'jailed'}) == []
    assert [c['from_status'] for c in status_history.changes_between([_row(2, 0, 'healthy')], {2: 'jailed'})] == ['jailed']


def test_append_continues_from_the_newest_recorded_status(database):
    now = utcnow()
    with session_scope() as db:
        user = make_user_fast(db, 'a@example.com')
        ids = list(seed_nodes(db, user.id, [NodeSpec('a'), NodeSpec('b')], now).values())
    record_history(ids[0], [(now - timedelta(minutes=10), 'healthy'), (now - timedelta(minutes=8), 'offline')])
    with session_scope() as db:
        assert status_history.latest_statuses(db, ids) == {ids[0]: 'offline'}
        # a later cycle: node a recovers (a change after its stored 'offline'), node b is seen for the first time
        written = status_history.append(db, [history_row(ids[0], now, 'healthy'), history_row(ids[1], now, 'jailed')])
    assert written == 1
    with session_scope() as db:
        stored = [(c.node_id, c.from_status, c.to_status) for c in db.scalars(
            select(NodeStatusChange).order_by(NodeStatusChange.changed_at))]
        assert stored == [(ids[0], 'healthy', 'offline'), (ids[0], 'offline', 'healthy')]
        assert status_history.latest_statuses(db, ids) == {ids[0]: 'healthy', ids[1]: 'jailed'}


def test_node_detail_reads_recent_jobs_from_their_own_column_and_lists_never_load_them(database):
    from sqlalchemy import event

    from minegnk.db.models import NodeStatsCache

    now = utcnow()
    jobs = [{'id': 'inf-9', 'status': 'FINISHED', 'model': 'Qwen/Qwen3-235B', 'block': 90, 'prompt_tokens': 12,
             'completion_tokens': 300, 'started_at': now.isoformat(), 'validated_by': None}]
    with session_scope() as db:
        user = make_user_fast(db, 'a@example.com')
        seed_network(db, now)
        ids = seed_nodes(db, user.id, [NodeSpec('a'), NodeSpec('b')], now)
        address, node_id = next(iter(ids.items()))
        db.get(NodeStatsCache, node_id).recent_jobs = jobs
        user_id = user.id
    with session_scope() as db:
        detail = node_reads.node_detail(db, address, user_id=user_id)
        assert detail.view['recent_jobs'] == jobs
        other = next(a for a in ids if a != address)
        assert node_reads.node_detail(db, other, user_id=user_id).view['recent_jobs'] == []
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)
    with session_scope() as db:
        engine = db.get_bind()
        event.listen(engine, 'before_cursor_execute', record)
        try:
            assert len(node_reads.user_nodes(db, user_id)) == 2
        finally:
            event.remove(engine, 'before_cursor_execute', record)
    assert any('node_stats_cache' in s for s in statements)
    assert not any('recent_jobs' in s for s in statements)
