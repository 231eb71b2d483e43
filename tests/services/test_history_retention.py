"""Status-history retention: full resolution for 48 h, then one row per node per 10 min plus every status change;
nothing older than the retention period."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from minegnk.db.engine import session_scope
from minegnk.db.models import Node, NodeStatusChange, NodeStatusHistory
from minegnk.services import history_retention, status_history
from minegnk.services import nodes as node_reads
from minegnk.services.dashboard import status_runs

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
CYCLE = timedelta(minutes=2)


def test_thinning_keeps_the_first_row_of_each_bucket_and_every_change():
    start = datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc)  # a bucket boundary
    statuses = ['healthy'] * 7 + ['offline', 'offline', 'healthy'] + ['healthy'] * 5
    rows = [(i, start + i * CYCLE, status) for i, status in enumerate(statuses)]
    doomed = history_retention.rows_to_thin(rows, previous_status='healthy')
    # buckets of 5 rows: [0-4] keep 0; [5-9] keep 5, 7 (offline), 9 (back to healthy); [10-14] keep 10
    assert sorted(set(range(15)) - set(doomed)) == [0, 5, 7, 9, 10]


def test_a_change_from_the_row_before_the_window_is_kept():
    start = datetime(2026, 11, 1, 0, 2, tzinfo=timezone.utc)
    rows = [(1, start, 'jailed'), (2, start + CYCLE, 'jailed')]
    assert history_retention.rows_to_thin(rows, previous_status='healthy') == [2]


def _seed(hours: int, status_at, *, now: datetime = NOW) -> int:  # noqa: ANN001
    with session_scope() as db:
        node = Node(address='gonka1retention', label='rig')
        db.add(node)
        db.flush()
        count = hours * 30
        rows = [{'node_id': node.id, 'observed_at': now - (count - i) * CYCLE, 'status': status_at(i), 'reasons': []}
                for i in range(count)]
        status_history.append(db, rows)
        return node.id


def test_retention_thins_old_rows_expires_older_ones_and_keeps_bands(database):
    # 100 days of 2-minute rows (72,000): an outage of 40 minutes 10 days ago, a 4-minute blip 5 days ago
    def status_at(i: int) -> str:
        age = (72_000 - i) * CYCLE
        if timedelta(days=10) - timedelta(minutes=40) < age <= timedelta(days=10):
            return 'offline'
        if timedelta(days=5) - timedelta(minutes=4) < age <= timedelta(days=5):
            return 'jailed'
        return 'healthy'
    node_id = _seed(100 * 24, status_at)
    with session_scope() as db:
        before_runs = status_runs(node_reads.status_history(db, node_id, since=NOW - timedelta(days=30)), until=NOW)
        changes_before = db.scalar(select(func.count()).select_from(NodeStatusChange))
        recent_before = db.scalar(select(func.count()).select_from(NodeStatusHistory)
                                  .where(NodeStatusHistory.observed_at >= NOW - history_retention.FULL_RESOLUTION))

    report = history_retention.apply_retention(session_scope, now=NOW, keep_days=90, lookback=None)

    with session_scope() as db:
        h = NodeStatusHistory
        total = db.scalar(select(func.count()).select_from(h))
        oldest = db.scalar(select(func.min(h.observed_at)))
        recent = db.scalar(select(func.count()).select_from(h)
                           .where(h.observed_at >= NOW - history_retention.FULL_RESOLUTION))
        after_runs = status_runs(node_reads.status_history(db, node_id, since=NOW - timedelta(days=30)), until=NOW)
        changes_after = db.scalar(select(func.count()).select_from(NodeStatusChange))
    assert report.expired == 10 * 24 * 30  # the 10 days beyond 90
    assert oldest >= NOW - timedelta(days=90)
    assert recent == recent_before == 48 * 30  # the last 48 h untouched
    # 88 thinned days: one row per 10 minutes (+ the few change rows) instead of five
    assert 88 * 24 * 6 <= total - recent <= 88 * 24 * 6 + 8
    assert report.thinned == 90 * 24 * 30 - 48 * 30 - (total - recent)
    # the timeline draws the same bands: same statuses in the same order, same edges
    assert [(r.status, r.start) for r in after_runs] == [(r.status, r.start) for r in before_runs]
    assert [r.status for r in after_runs] == ['healthy', 'offline', 'healthy', 'jailed', 'healthy']
    assert changes_after == changes_before == 4  # transitions are never thinned

    # an hourly run afterwards only looks at rows that just left the full-resolution period: nothing to do
    again = history_retention.apply_retention(session_scope, now=NOW + timedelta(minutes=2), keep_days=90,
                                              lookback=timedelta(hours=2))
    assert again.expired == 1
    assert again.thinned <= 1


async def test_the_scheduler_thins_everything_on_its_first_run_then_only_the_recent_window(sqlite_database):
    from minegnk.jobs.scheduler import RefreshScheduler
    from minegnk.db.models import utcnow
    # 72 h of rows ending an hour before the full-resolution period: all of them are thinned
    node_id = _seed(72, lambda i: 'healthy', now=utcnow() - history_retention.FULL_RESOLUTION - timedelta(hours=1))
    scheduler = RefreshScheduler(job=None, interval_seconds=120, on_cycle=lambda report: None,  # type: ignore[arg-type]
                                 history_days=3650)
    first = await scheduler.apply_retention()
    assert first is not None and first.expired == 0
    with session_scope() as db:
        left = db.scalar(select(func.count()).select_from(NodeStatusHistory)
                         .where(NodeStatusHistory.node_id == node_id))
    assert 72 * 6 <= left <= 72 * 6 + 1  # one per 10 minutes (the first, partial bucket adds at most one)
    assert first.thinned == 72 * 30 - left
    second = await scheduler.apply_retention()  # now only the last 2 h that left full resolution: already thin
    assert second is not None and second.thinned == 0
