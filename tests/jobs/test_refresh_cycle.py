"""The refresh cycle over real HTTP against the simulator: what lands in the tables, failover, staleness."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from minegnk.db.engine import get_engine, session_scope
from minegnk.db.models import (EarningsHistory, NetworkSnapshot, NodeStatsCache, NodeStatusChange, NodeStatusHistory,
                               UpstreamHealth, User, UserSession, utcnow)
from minegnk.jobs.refresh import RefreshJob


@pytest.fixture
def scenarios(control) -> dict[str, str]:
    return control('scenarios')


def caches(ids: dict[str, int]) -> dict[str, NodeStatsCache]:
    with session_scope() as db:
        return {address: db.get(NodeStatsCache, node_id) for address, node_id in ids.items()}


def stored_jobs(node_id: int) -> list | None:
    with session_scope() as db:
        return db.get(NodeStatsCache, node_id).recent_jobs


def count(model, *where) -> int:
    with session_scope() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


async def test_full_cycle_fills_every_table_with_the_right_statuses(job, assign, scenarios, control):
    ids = assign(list(scenarios.values()))
    report = await job.run_cycle()
    assert report.source == 'tracker' and not report.stale and report.nodes == 8
    assert await job.backfill_pending() > 8 * 30  # settled history of the newly assigned nodes, after the cycle
    report = await job.run_cycle()  # offline needs two consecutive failed probes (anti-flap)

    status = {key: caches(ids)[address].status for key, address in scenarios.items()}
    assert status == {'healthy': 'healthy', 'healthy_ramping': 'healthy', 'jailed': 'jailed', 'offline': 'offline',
                      'unhealthy_missed': 'unhealthy', 'unhealthy_ml_failed': 'unhealthy', 'inactive': 'inactive',
                      'unclaimed_reward': 'healthy'}
    cache = caches(ids)
    missed = cache[scenarios['unhealthy_missed']]
    assert [r['code'] for r in missed.reasons] == ['missed_test_failed']
    assert missed.view['missed_test']['passed'] is False
    assert cache[scenarios['healthy']].view['weight_share'] is not None
    assert cache[scenarios['healthy']].source == 'tracker' and cache[scenarios['healthy']].stale is False

    assert count(NodeStatusHistory) == 16  # one row per node per cycle
    snapshot_epoch = control('state')['epoch']
    with session_scope() as db:
        snapshot = db.scalars(select(NetworkSnapshot).order_by(NetworkSnapshot.id.desc())).first()
        assert snapshot.epoch_id == snapshot_epoch and snapshot.block_height > 0 and snapshot.source == 'tracker'
        assert snapshot.epoch_length == 120 and snapshot.avg_block_seconds > 0
        health = {h.source: h for h in db.scalars(select(UpstreamHealth))}
        assert health['tracker'].last_success_at is not None and health['node_api'].last_error is None

    # Settled earnings were backfilled: exact integers, the same the chain reports for each epoch.
    healthy_id = ids[scenarios['healthy']]
    with session_scope() as db:
        rows = db.scalars(select(EarningsHistory).where(EarningsHistory.node_id == healthy_id)
                          .order_by(EarningsHistory.epoch_id)).all()
    assert len(rows) >= 30
    assert rows[-1].epoch_id == snapshot_epoch - 1 or rows[-1].epoch_id == snapshot_epoch - 2
    assert all(isinstance(r.reward_ngonka, int) and r.reward_ngonka > 0 for r in rows)


async def test_settled_epoch_is_written_once_and_claimed_flag_updates(job, assign, scenarios, control):
    ids = assign([scenarios['healthy'], scenarios['unclaimed_reward']])
    await job.run_cycle()
    await job.backfill_pending()
    assert await job.backfill_pending() == 0  # nothing left: each epoch is fetched once
    before = count(EarningsHistory)
    control('advance', {'epochs': 1})
    report = await job.run_cycle()
    assert report.new_epochs_stored == 2  # one new settled epoch per node
    assert count(EarningsHistory) == before + 2
    epoch = control('state')['epoch']
    summary = control(f'participants/{scenarios["unclaimed_reward"]}')
    assert summary  # the simulator knows it
    with session_scope() as db:
        unclaimed = db.scalar(select(EarningsHistory).where(
            EarningsHistory.node_id == ids[scenarios['unclaimed_reward']], EarningsHistory.epoch_id == epoch - 1))
        assert unclaimed is not None and unclaimed.claimed is False


async def test_history_upserts_are_idempotent_across_restarts(job, assign, scenarios, sim):
    assign(list(scenarios.values()))
    await job.run_cycle()
    await job.backfill_pending()
    rows = count(EarningsHistory)
    restarted = RefreshJob(job.upstreams)  # a new process: nothing in memory, everything from the database
    report = await restarted.run_cycle()
    assert report.new_epochs_stored == 0
    assert await restarted.backfill_pending() == 0
    assert count(EarningsHistory) == rows
    with session_scope() as db:
        duplicates = db.execute(select(EarningsHistory.node_id, EarningsHistory.epoch_id, func.count())
                                .group_by(EarningsHistory.node_id, EarningsHistory.epoch_id)
                                .having(func.count() > 1)).all()
    assert duplicates == []


async def test_tracker_down_uses_the_node_api_and_records_the_source(job, assign, scenarios, control):
    ids = assign([scenarios['healthy'], scenarios['inactive']])
    control('faults', {'target': 'tracker', 'mode': 'http500'})
    report = await job.run_cycle()
    assert report.source == 'node_api' and not report.stale
    assert 'tracker' in report.errors
    cache = caches(ids)
    assert cache[scenarios['healthy']].source == 'node_api'
    assert cache[scenarios['healthy']].status == 'healthy'
    assert cache[scenarios['inactive']].status == 'inactive'
    with session_scope() as db:
        assert db.get(UpstreamHealth, 'tracker').last_error == 'HTTP 500'


async def test_one_node_url_down_fails_over_to_the_next(job, assign, scenarios, control, sim):
    assign([scenarios['healthy']])
    control('faults', {'target': 'n1', 'mode': 'down'})
    control('faults', {'target': 'tracker', 'mode': 'http500'})
    report = await job.run_cycle()
    assert report.source == 'node_api'
    assert job.upstreams.node_api.current_base_url != sim.node_urls[0]


async def test_everything_down_keeps_last_known_data_marked_stale(job, assign, scenarios, control):
    ids = assign([scenarios['healthy'], scenarios['jailed']])
    await job.run_cycle()
    before = caches(ids)
    control('faults', {'target': 'all', 'mode': 'http500'})
    report = await job.run_cycle()
    assert report.stale and report.source is None
    after = caches(ids)
    for address in ids:
        assert after[address].stale is True and 'HTTP 500' in after[address].stale_reason
        assert after[address].status == before[address].status  # last known, not "down"
        assert after[address].view['counters'] == before[address].view['counters']
    with session_scope() as db:
        latest = db.scalars(select(NodeStatusHistory).order_by(NodeStatusHistory.id.desc()).limit(2)).all()
        assert {row.status for row in latest} == {'unknown'}
    control('faults', {'target': 'all', 'mode': 'ok'})
    report = await job.run_cycle()
    assert not report.stale
    assert all(not c.stale for c in caches(ids).values())


@pytest.mark.parametrize('mode', ['malformed', 'truncated'])
async def test_malformed_payloads_are_rejected_whole(job, assign, scenarios, control, mode):
    ids = assign([scenarios['healthy']])
    await job.run_cycle()
    before = caches(ids)[scenarios['healthy']]
    earnings = count(EarningsHistory)
    control('faults', {'target': 'all', 'mode': mode})
    report = await job.run_cycle()
    assert report.stale
    assert any(word in report.errors['tracker'] for word in ('malformed', 'JSON', 'unexpected payload'))
    after = caches(ids)[scenarios['healthy']]
    assert after.view['counters'] == before.view['counters'] and after.status == before.status
    assert count(EarningsHistory) == earnings


async def test_upstream_requests_per_cycle_do_not_grow_with_users(job, assign, scenarios, control):
    assign(list(scenarios.values()))
    await job.run_cycle()
    await job.backfill_pending()  # compare steady-state cycles
    await job.run_cycle()

    async def requests_of_one_cycle() -> int:
        control('stats/reset', {})
        await job.run_cycle()
        return control('stats')['total']
    with_one_user = await requests_of_one_cycle()
    with session_scope() as db:
        for i in range(99):
            user = User(email=f'user{i}@example.com', password_hash='x')
            db.add(user)
            db.flush()
            db.add(UserSession(token_hash=f'{i:064d}', user_id=user.id, expires_at=utcnow().replace(year=2100)))
    with_hundred_users = await requests_of_one_cycle()
    assert with_one_user == with_hundred_users
    assert with_one_user <= 8 * 3 + 5  # per node: probe (+ registration check / unsettled epoch), plus a few network calls


async def test_unclaimed_epoch_is_rechecked_every_15_minutes_until_claimed(job, assign, scenarios, control):
    from datetime import timedelta

    address = scenarios['unclaimed_reward']
    ids = assign([address])
    await job.run_cycle()
    epoch = control('state')['epoch'] - 1
    with session_scope() as db:
        row = db.scalar(select(EarningsHistory).where(EarningsHistory.node_id == ids[address],
                                                      EarningsHistory.epoch_id == epoch))
        assert row is not None and row.claimed is False
    control('incident', {'address': address, 'kind': 'claim'})
    control('stats/reset', {})
    await job.run_cycle()  # re-checked less than 15 minutes ago: not asked again
    assert 'epoch_performance_summary' not in str(control('stats')['by_template'])
    with session_scope() as db:
        db.scalar(select(EarningsHistory).where(EarningsHistory.node_id == ids[address],
                                                EarningsHistory.epoch_id == epoch)).fetched_at -= timedelta(minutes=16)
    await job.run_cycle()
    with session_scope() as db:
        assert db.scalar(select(EarningsHistory.claimed).where(EarningsHistory.node_id == ids[address],
                                                               EarningsHistory.epoch_id == epoch)) is True


async def test_tracker_down_takes_jail_state_from_staking_validators_and_signing_info(job, assign, scenarios, control,
                                                                                       sim):
    import httpx

    from minegnk.upstream.schemas import parse_timestamp

    validators_path = '/chain-api/cosmos/staking/v1beta1/validators'
    signing_path = '/chain-api/cosmos/slashing/v1beta1/signing_infos/{cons_address}'
    ids = assign([scenarios['healthy'], scenarios['jailed']])
    control('faults', {'target': 'tracker', 'mode': 'http500'})
    control('stats/reset', {})
    report = await job.run_cycle()
    assert report.source == 'node_api' and not report.stale

    # Jail costs one validator list per cycle (1-3 pages) plus one signing info per jailed node - not per node.
    calls = control('stats')['by_template']
    assert 1 <= calls.get(validators_path, 0) <= 3
    assert calls.get(signing_path, 0) == 1  # the jailed node only

    cache = caches(ids)
    jailed, healthy = cache[scenarios['jailed']], cache[scenarios['healthy']]
    assert jailed.source == 'node_api' and jailed.status == 'jailed'
    assert [r['code'] for r in jailed.reasons][:1] == ['jailed']
    until = jailed.reasons[0]['params']['jailed_until']
    assert until is not None
    assert healthy.source == 'node_api' and healthy.status == 'healthy'

    # The instant matches what the tracker reports once it is back, and with the tracker up no jail calls are made.
    control('faults', {'target': 'tracker', 'mode': 'ok'})
    tracked = httpx.get(f'{sim.tracker_url}/api/v1/inference/current', timeout=10).json()['participants']
    expected = next(p['jailed_until'] for p in tracked if p['address'] == scenarios['jailed'])
    assert parse_timestamp(until) == parse_timestamp(expected)
    control('stats/reset', {})
    assert (await job.run_cycle()).source == 'tracker'
    calls = control('stats')['by_template']
    assert validators_path not in calls and signing_path not in calls


async def test_recent_jobs_are_stored_and_fetched_at_most_every_20_minutes(job, assign, scenarios, control):
    from datetime import timedelta

    address = scenarios['healthy']
    ids = assign([address])
    await job.run_cycle()
    jobs = stored_jobs(ids[address])
    assert jobs and all(j['status'] and j['model'] for j in jobs)
    assert all(isinstance(j['prompt_tokens'], (int, type(None))) for j in jobs)
    assert all('simulated prompt' in j['prompt'] for j in jobs)  # the simulator's payload, as an excerpt
    assert all(j['response'] is None for j in jobs if j['status'] == 'EXPIRED')
    blocks = [j['block'] for j in jobs]
    assert blocks == sorted(blocks, reverse=True)  # newest first
    control('stats/reset', {})
    await job.run_cycle()
    assert 'inferences' not in str(control('stats')['by_template'])  # the tracker rebuilds them every 20 min
    assert stored_jobs(ids[address]) == jobs  # kept, not lost
    assert 'recent_jobs' not in caches(ids)[address].view  # apart from the view every cycle rewrites
    with session_scope() as db:
        cache = db.get(NodeStatsCache, ids[address])
        cache.jobs_fetched_at -= timedelta(minutes=21)
    control('stats/reset', {})
    await job.run_cycle()
    assert 'inferences' in str(control('stats')['by_template'])


async def test_status_changes_are_written_with_the_history_they_come_from(job, assign, scenarios, control):
    """healthy → jailed → jailed → healthy is exactly two changes; a node's first status ever is none; an unknown
    cycle (no fresh data) is a change like any other, because the previous status is the history's, not the cache's."""
    ids = assign([scenarios['healthy'], scenarios['jailed']])
    node, steady = ids[scenarios['healthy']], ids[scenarios['jailed']]
    await job.run_cycle()
    assert count(NodeStatusChange) == 0  # first observation of both nodes: nothing changed yet
    control('incident', {'address': scenarios['healthy'], 'kind': 'jail'})
    await job.run_cycle()
    await job.run_cycle()
    control('incident', {'address': scenarios['healthy'], 'kind': 'unjail'})
    await job.run_cycle()

    def history(node_id: int) -> list[NodeStatusHistory]:
        with session_scope() as db:
            return list(db.scalars(select(NodeStatusHistory).where(NodeStatusHistory.node_id == node_id)
                                   .order_by(NodeStatusHistory.observed_at)))

    def changes(node_id: int) -> list[tuple]:
        with session_scope() as db:
            return [(c.changed_at, c.from_status, c.to_status, c.reasons) for c in db.scalars(
                select(NodeStatusChange).where(NodeStatusChange.node_id == node_id)
                .order_by(NodeStatusChange.changed_at))]

    rows = history(node)
    assert [r.status for r in rows] == ['healthy', 'jailed', 'jailed', 'healthy']
    assert changes(node) == [(rows[1].observed_at, 'healthy', 'jailed', rows[1].reasons),
                             (rows[3].observed_at, 'jailed', 'healthy', [])]
    assert [r['code'] for r in rows[1].reasons] == ['jailed']
    assert [r.status for r in history(steady)] == ['jailed'] * 4 and changes(steady) == []

    control('faults', {'target': 'all', 'mode': 'http500'})
    await job.run_cycle()  # no fresh data: the cache keeps 'healthy', the history records 'unknown'
    control('faults', {'target': 'all', 'mode': 'ok'})
    await job.run_cycle()
    assert [c[1:3] for c in changes(node)[2:]] == [('healthy', 'unknown'), ('unknown', 'healthy')]
    assert [c[1:3] for c in changes(steady)] == [('jailed', 'unknown'), ('unknown', 'jailed')]


async def test_settled_at_is_when_the_epoch_settled_on_chain_not_when_we_first_saw_it(job, assign, scenarios, sim,
                                                                                      control):
    ids = assign([scenarios['healthy']])
    await job.run_cycle()
    await job.backfill_pending()
    state = control('state')
    geometry, epoch = sim.sim.geometry, state['epoch']
    # The simulator's block times shift when it jumps ahead, so the backfilled epoch's time is read before that.
    older = epoch - 5
    older_time = sim.sim.block_time(geometry.stage(older + 1, 'poc_validation_end'))
    # Into the next epoch, 90 blocks (9 minutes of chain time) after epoch `epoch` settled.
    settled_block = geometry.stage(epoch + 1, 'poc_validation_end')
    control('advance', {'blocks': settled_block + 90 - state['height']})
    await job.run_cycle()
    with session_scope() as db:
        rows = {r.epoch_id: r.settled_at for r in db.scalars(
            select(EarningsHistory).where(EarningsHistory.node_id == ids[scenarios['healthy']]))}
    true_time = sim.sim.block_time(settled_block)
    assert abs((rows[epoch] - true_time).total_seconds()) < 30, (rows[epoch], true_time)
    # Backfilled older epochs were placed on their own settlement blocks too (seen from the earlier cycle).
    assert abs((rows[older] - older_time).total_seconds()) < 30, (rows[older], older_time)


async def test_a_fresh_cycle_does_not_read_the_stored_views_back_when_writing(job, assign, scenarios):
    """load_assigned_nodes decodes every stored view once per cycle; writing must not decode them a second time."""
    assign(list(scenarios.values()))
    await job.run_cycle()
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.replace('"', ''))  # SQLite quotes the column named view
    engine = get_engine()
    event.listen(engine, 'before_cursor_execute', record)
    try:
        report = await job.run_cycle()
    finally:
        event.remove(engine, 'before_cursor_execute', record)
    assert not report.stale
    selects = [s for s in statements if s.lstrip().upper().startswith('SELECT')]
    view_reads = [s for s in selects if 'node_stats_cache.view' in s]
    assert len(view_reads) == 1 and 'JOIN node_stats_cache' in view_reads[0]  # load_assigned_nodes only
    cache_select = [s for s in selects if 'FROM node_stats_cache' in s]
    assert len(cache_select) == 1 and 'node_stats_cache.reasons' not in cache_select[0]  # write_cycle's select
