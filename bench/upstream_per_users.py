"""Upstream requests per refresh cycle with 1, 100 and 1,000 users logged in (must not grow with users).

    .venv/bin/python bench/upstream_per_users.py [--nodes 1000] [--participants 2000] [--dashboards 20]

The simulator runs in its own process and counts every request it serves by path template (``/_sim/stats``).
The same 1,000 assigned nodes are shared out among the logged-in users of each case (1 user with all of them, 100
users with 10 each, 1,000 users with one each). Every logged-in user has a UI session and an API token family;
the portal runs as ``python main.py`` (scheduler off, its upstream URLs also pointed at the simulator, so any
upstream call made for a page or an API request would be counted too), with up to ``--dashboards`` dashboards
open (real login through the login page, websocket connected; see ``open_dashboards.py``) and, during every
measured cycle, one ``GET /api/v1/nodes/my`` per logged-in user. The refresh job runs in this process, as in
``refresh.py``; after the catch-up cycles (settled epochs, hardware, recent jobs) each case measures two cycles.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from open_dashboards import PASSWORD, Browser, portal_env, start_portal, stop  # noqa: E402
from processes import free_port, start_sim  # noqa: E402

JWT_SECRET = 'bench-jwt-secret-' + 'x' * 40
CASES = (1, 100, 1000)


def seed(url: str, sim: str, nodes: int, users: int) -> tuple[list[int], list[int]]:
    """Users (one real password hash, shared) and nodes for the first ``nodes`` network participants."""
    from minegnk.db.engine import init_database, session_scope
    from minegnk.db.migrate import upgrade_to_head
    from minegnk.db.models import Node, User
    from minegnk.services import accounts
    upgrade_to_head(url)
    init_database(url)
    participants = httpx.get(f'{sim}/api/v1/inference/current', timeout=60).json()['participants']
    if len(participants) < nodes:
        raise SystemExit(f'the simulator has {len(participants)} participants, fewer than --nodes {nodes}')
    with session_scope() as db:
        first = accounts.register(db, 'user0000@example.com', PASSWORD)
        db.add_all(User(email=f'user{i:04d}@example.com', password_hash=first.password_hash) for i in range(1, users))
        db.add_all(Node(address=p['address']) for p in participants[:nodes])
        db.flush()
        user_ids = list(db.scalars(select(User.id).order_by(User.id)))
        node_ids = list(db.scalars(select(Node.id).order_by(Node.id)))
    return user_ids, node_ids


def share_out(node_ids: list[int], user_ids: list[int]) -> None:
    """End every assignment, then give the nodes to these users round robin."""
    from minegnk.db.engine import session_scope
    from minegnk.db.models import NodeAssignment, utcnow
    with session_scope() as db:
        db.execute(update(NodeAssignment).where(NodeAssignment.unassigned_at.is_(None)).values(unassigned_at=utcnow()))
        db.flush()
        db.add_all(NodeAssignment(node_id=node_id, user_id=user_ids[i % len(user_ids)])
                   for i, node_id in enumerate(node_ids))


def log_in(user_ids: list[int]) -> dict[int, str]:
    """A UI session and an API token family for each user; returns an access token per user."""
    from minegnk.api.tokens import AccessTokens
    from minegnk.db.engine import session_scope
    from minegnk.db.models import User
    from minegnk.services import api_tokens, sessions
    access = AccessTokens(JWT_SECRET)
    tokens = {}
    with session_scope() as db:
        for user in db.scalars(select(User).where(User.id.in_(user_ids))):
            sessions.create_session(db, user, persistent=True, ip='127.0.0.1', user_agent='bench')
            family = api_tokens.issue_family(db, user.id)
            tokens[user.id] = access.issue(user.id, family.family_id)[0]
    return tokens


def counts(sim: str) -> Counter[str]:
    return Counter(httpx.get(f'{sim}/_sim/stats', timeout=30).json()['by_template'])


async def api_calls(base: str, tokens: list[str], stop_event: asyncio.Event) -> tuple[int, int]:
    """One GET /api/v1/nodes/my per logged-in user, 16 at a time, while the cycle runs. Returns (ok, other)."""
    ok = other = 0
    semaphore = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        async def call(token: str) -> None:
            nonlocal ok, other
            async with semaphore:
                if stop_event.is_set():
                    return
                response = await http.get('/api/v1/nodes/my', headers={'Authorization': f'Bearer {token}'})
                if response.status_code == 200:
                    ok += 1
                else:
                    other += 1
        await asyncio.gather(*(call(t) for t in tokens))
    return ok, other


async def cycle(job, sim: str, base: str | None, tokens: list[str]) -> tuple[Counter[str], float, tuple[int, int]]:  # noqa: ANN001
    httpx.post(f'{sim}/_sim/stats/reset', timeout=30)
    stop_event = asyncio.Event()
    load = asyncio.create_task(api_calls(base, tokens, stop_event)) if base and tokens else None
    started = time.perf_counter()
    await job.run_cycle()
    wall = time.perf_counter() - started
    api = await load if load else (0, 0)  # the calls finish before the count, so any upstream call they made counts
    stop_event.set()
    return counts(sim), wall, api


async def run(args: argparse.Namespace) -> None:
    from minegnk.jobs.refresh import RefreshJob, Upstreams
    from minegnk.upstream.node_api import NodeApiClient
    from minegnk.upstream.probe import make_probe_client
    from minegnk.upstream.tracker import TrackerClient

    sim_process, sim = start_sim(args.participants)
    portal = None
    try:
        with tempfile.TemporaryDirectory(prefix='minegnk-bench-') as tmp:
            data_dir = Path(tmp)
            url = f'sqlite:///{data_dir / "bench.sqlite3"}'
            user_ids, node_ids = seed(url, sim, args.nodes, max(CASES))
            env = portal_env(data_dir, url, free_port(), None, MINEGNK_JWT_SECRET=JWT_SECRET,
                             MINEGNK_API_RATE_PER_MINUTE='10000000', MINEGNK_LOG_LEVEL='WARNING',
                             MINEGNK_TRACKER_URL=sim, MINEGNK_NODE_URLS=f'{sim}/n1,{sim}/n2')
            portal, base, portal_log = start_portal(env, data_dir)
            upstreams = Upstreams(TrackerClient(sim, timeout=30),
                                  NodeApiClient([f'{sim}/n1', f'{sim}/n2'], timeout=30, max_concurrency=4),
                                  make_probe_client(max_connections=32))
            job = RefreshJob(upstreams)
            share_out(node_ids, user_ids[:1])
            started = time.perf_counter()
            totals: list[int] = []
            previous: Counter[str] = Counter()
            # Settled epochs, hardware and recent jobs arrive within per-cycle budgets: catch up until a cycle stores
            # no new epoch, asks for no recent jobs and makes the same requests as the one before.
            while True:
                if len(totals) >= 40:
                    raise RuntimeError(f'requests per cycle did not settle in 40 cycles: {totals}')
                counted, _, _ = await cycle(job, sim, None, [])
                totals.append(sum(counted.values()))
                if counted == previous and not job.last_report.new_epochs_stored and \
                        not any('inferences' in template for template in counted):
                    break
                previous = counted
            print(f'catch-up: {len(totals)} cycles in {time.perf_counter() - started:.0f} s, requests {totals}',
                  flush=True)
            results = {}
            try:
                await measure_cases(args, results, sim, base, job, user_ids, node_ids)
            except Exception:
                print('portal log (tail):\n' + portal_log.read_text(errors='replace')[-3000:], file=sys.stderr)
                raise
            await upstreams.aclose()
    finally:
        if portal is not None:
            stop(portal)
        stop(sim_process)
    report(args, results)


async def measure_cases(args: argparse.Namespace, results: dict, sim: str, base: str, job, user_ids: list[int],  # noqa: ANN001
                        node_ids: list[int]) -> None:
    import aiohttp
    async with aiohttp.ClientSession() as aiohttp_session:
        browsers: list[Browser] = []
        for users in CASES:
            chosen = user_ids[:users]
            share_out(node_ids, chosen)
            tokens = log_in(chosen)
            for i in range(len(browsers), min(users, args.dashboards)):  # real logins, open dashboards
                browser = Browser(base, aiohttp_session)
                await browser.login(f'user{i:04d}@example.com')
                await browser.tab('/')
                browsers.append(browser)
            measured = []
            for _ in range(args.cycles):
                measured.append(await cycle(job, sim, base, list(tokens.values())))
            results[users] = {'counts': measured, 'dashboards': len(browsers)}
            print(f'{users:,} user(s) logged in: requests per cycle '
                  f'{[sum(c.values()) for c, _, _ in measured]}, wall {[round(w, 2) for _, w, _ in measured]} s, '
                  f'API calls ok/other {[a for _, _, a in measured]}, {len(browsers)} dashboards open', flush=True)
        for browser in browsers:
            await browser.close()


def report(args: argparse.Namespace, results: dict) -> None:
    templates = sorted({t for r in results.values() for c, _, _ in r['counts'] for t in c})
    print(f'\n# {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · SQLite · '
          f'{args.nodes} assigned nodes, {args.participants} participants · requests per steady-state cycle '
          f'(each of {args.cycles} cycles per case)')
    print('| upstream path | ' + ' | '.join(f'{u:,} user{"s" if u > 1 else ""}' for u in results) + ' |')
    print('|---|' + '---:|' * len(results))
    cell = lambda r, key: ' / '.join(str(key(c)) for c, _, _ in r['counts'])  # noqa: E731
    for template in templates:
        print(f'| `{template}` | ' + ' | '.join(cell(r, lambda c: c.get(template, 0)) for r in results.values()) + ' |')
    print('| **total** | ' + ' | '.join(f'**{cell(r, lambda c: sum(c.values()))}**' for r in results.values()) + ' |')
    print('| API calls during the cycle (200 / other) | ' + ' | '.join(
        ' / '.join(f'{ok}/{other}' for _, _, (ok, other) in r['counts']) for r in results.values()) + ' |')
    print('| dashboards open | ' + ' | '.join(str(r['dashboards']) for r in results.values()) + ' |')
    every = [c for r in results.values() for c, _, _ in r['counts']]
    equal = all(c == every[0] for c in every)
    print(f'\nper-path counts equal in every cycle of every case: {"yes" if equal else "NO"}')
    if not equal:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--nodes', type=int, default=1000, help='assigned nodes, shared out among the users')
    parser.add_argument('--participants', type=int, default=2000)
    parser.add_argument('--dashboards', type=int, default=20, help='open dashboards (at most one per user)')
    parser.add_argument('--cycles', type=int, default=2, help='measured cycles per case')
    asyncio.run(run(parser.parse_args()))


if __name__ == '__main__':
    main()
