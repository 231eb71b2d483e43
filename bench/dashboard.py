"""Dashboard load time in a real browser: a customer with 50 nodes and 90 days of history.

    .venv/bin/python bench/dashboard.py [--loads 10] [--history-seconds 120] [--database-url URL]

Seeds the database directly (what the refresh job would have written: status cache, one status-history row per node
per refresh cycle for 90 days, one settled epoch per node per day, a network snapshot, exchange rates), starts the
portal as ``python main.py`` (scheduler off), logs in with headless Chromium and loads ``/`` repeatedly. A load
counts until the earnings chart is drawn (the plotly element has data and its SVG exists), measured in the browser
from navigation start. The first session after start (login page, log in, first dashboard with its feed) is
reported on its own as ``first_session_s``; the median and p95 are over the following ``--loads`` loads. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / 'tests')]

import httpx  # noqa: E402
import machine  # noqa: E402  (bench/machine.py, beside this file)
from sqlalchemy import insert  # noqa: E402

from minegnk.db import engine as db_engine  # noqa: E402
from minegnk.db.engine import session_scope  # noqa: E402
from minegnk.db.migrate import upgrade_to_head  # noqa: E402
from minegnk.db.models import EarningsHistory, utcnow  # noqa: E402
from minegnk.services import rates as rate_service  # noqa: E402
from minegnk.services import status_history  # noqa: E402

from customer_seed import PASSWORD, NodeSpec, make_user, seed_network, seed_nodes  # noqa: E402

EMAIL = 'bench@example.com'
NODES = 50
DAYS = 90
CHART_DRAWN = '''() => {
  const el = document.querySelector('.minegnk-earnings-chart');
  return !!(el && el.data && el.data.length > 0 && el.querySelector('.main-svg'));
}'''
STATUSES = ['healthy'] * 40 + ['unhealthy'] * 4 + ['jailed'] * 2 + ['offline'] * 2 + ['inactive', 'unknown']


def seed(url: str, history_seconds: int) -> dict:
    upgrade_to_head(url)
    db_engine.init_database(url)
    now = utcnow()
    started = time.perf_counter()
    make_user(EMAIL, currency='USD')
    with session_scope() as db:
        from sqlalchemy import select

        from minegnk.db.models import User
        user_id = db.scalar(select(User.id).where(User.email == EMAIL))
        seed_network(db, now)
        specs = [NodeSpec(f'node-{i:02d}', STATUSES[i], gpu_type=('H100', 'A100', 'L40S')[i % 3], gpu_count=8,
                          epoch_work_ngonka=1_000_000 * i, seed=f'bench-{i}') for i in range(NODES)]
        ids = list(seed_nodes(db, user_id, specs, now, assigned_at=now - timedelta(days=DAYS + 5)).values())
        rate_service.set_manual_rate(db, None, 'GNK', 'USD', '0.0123', now - timedelta(hours=1))
        rate_service.set_manual_rate(db, None, 'USD', 'EUR', '0.92', now - timedelta(hours=1))
    earnings = [{'node_id': node_id, 'epoch_id': 104 - d, 'reward_ngonka': 3_000_000_000_000 + 1_000_003 * d + node_id,
                 'work_ngonka': 7_001 * d, 'claimed': d > 0, 'inference_count': 900, 'missed_requests': 3,
                 'settled_at': now - timedelta(hours=12 + 24 * d), 'source': 'node_api', 'fetched_at': now}
                for node_id in ids for d in range(DAYS)]
    engine = db_engine.get_engine()
    with engine.begin() as connection:
        connection.execute(insert(EarningsHistory), earnings)
    steps = DAYS * 86_400 // history_seconds
    rows = changes = 0
    for node_index, node_id in enumerate(ids):
        batch = []
        for k in range(steps):
            at = now - timedelta(seconds=history_seconds * (steps - k))
            # a short outage every ~3 days per node, so the feed has status changes to show
            status = 'offline' if (k + node_index * 97) % 2160 < 3 else STATUSES[node_index]
            batch.append({'node_id': node_id, 'observed_at': at, 'status': status, 'reasons': [], 'epoch_id': 105,
                          'inference_count': k % 700, 'missed_requests': k % 7, 'source': 'tracker'})
        with engine.begin() as connection:
            changes += status_history.append(connection, batch)
        rows += len(batch)
    engine.dispose()
    return {'status_history_rows': rows, 'status_changes': changes, 'earnings_rows': len(earnings), 'seed_seconds': round(time.perf_counter() - started, 1)}


def start_portal(data_dir: Path, url: str) -> tuple[subprocess.Popen, str]:
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(('MINEGNK_', 'PYTEST_', 'NICEGUI_'))}
    env.update({'MINEGNK_PORT': str(port), 'MINEGNK_DATA_DIR': str(data_dir), 'MINEGNK_DATABASE_URL': url,
                'MINEGNK_SCHEDULER_ENABLED': 'false', 'MINEGNK_LOG_LEVEL': 'WARNING'})
    log = (data_dir / 'portal.log').open('w')
    process = subprocess.Popen([sys.executable, str(ROOT / 'main.py')], env=env, cwd=data_dir, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f'{base}/readyz', timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError('portal did not start: ' + (data_dir / 'portal.log').read_text()[-2000:])


def measure(base: str, loads: int, chromium: str, cpu_slowdown: float = 1) -> dict:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'])
        context = browser.new_context(viewport={'width': 1280, 'height': 900})
        page = context.new_page()
        if cpu_slowdown > 1:  # the browser's CPU as on a machine this many times slower (DevTools throttling)
            context.new_cdp_session(page).send('Emulation.setCPUThrottlingRate', {'rate': cpu_slowdown})
        first_started = time.perf_counter()
        page.goto(f'{base}/login')
        page.get_by_label('Email').fill(EMAIL)
        page.get_by_label('Password', exact=True).fill(PASSWORD)
        page.get_by_role('button', name='Log in').click()
        page.wait_for_url(f'{base}/')
        page.wait_for_function(CHART_DRAWN, timeout=60_000)
        page.locator('.q-pagination').first.wait_for(timeout=60_000)  # the feed has loaded once
        first_session = time.perf_counter() - first_started
        times, feed_times, phases = [], [], []
        for _ in range(loads):
            page.goto(f'{base}/')
            page.wait_for_function(CHART_DRAWN, timeout=60_000, polling=10)
            times.append(page.evaluate('performance.now()'))
            nav = page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0]; "
                                "return [n.responseStart, n.responseEnd, n.domContentLoadedEventEnd, n.loadEventEnd]; })()")
            phases.append(nav)
            page.locator('.q-pagination').first.wait_for(timeout=60_000)
            feed_times.append(page.evaluate('performance.now()'))
        browser.close()
    times.sort()
    return {
        'loads': loads,
        'first_session_s': round(first_session, 1),
        'chart_drawn_ms_median': round(statistics.median(times)),
        'chart_drawn_ms_p95': round(times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]),
        'chart_drawn_ms_all': [round(t) for t in times],
        'feed_shown_ms_median': round(statistics.median(feed_times)),
        # median per phase: first byte, HTML received, DOMContentLoaded, load event (all from navigation start)
        'html_first_byte_ms': round(statistics.median(p[0] for p in phases)),
        'html_received_ms': round(statistics.median(p[1] for p in phases)),
        'dom_content_loaded_ms': round(statistics.median(p[2] for p in phases)),
        'load_event_ms': round(statistics.median(p[3] for p in phases)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--loads', type=int, default=10)
    parser.add_argument('--history-seconds', type=int, default=120, help='seconds between status-history rows')
    parser.add_argument('--database-url', help='default: a fresh SQLite file in a temporary directory')
    parser.add_argument('--cpu-slowdown', type=float, default=1,
                        help='run the browser as on a CPU this many times slower (Chrome DevTools throttling)')
    parser.add_argument('--chromium', default=os.environ.get('MINEGNK_TEST_CHROMIUM', '/usr/bin/chromium'))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='minegnk-bench-') as tmp:
        data_dir = Path(tmp)
        url = args.database_url or f'sqlite:///{data_dir / "bench.sqlite3"}'
        if args.database_url:
            from sqlalchemy import create_engine, text
            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(text('DROP SCHEMA public CASCADE'))
                connection.execute(text('CREATE SCHEMA public'))
            engine.dispose()
        seeded = seed(url, args.history_seconds)
        process, base = start_portal(data_dir, url)
        try:
            started = time.perf_counter()
            result = measure(base, args.loads, args.chromium, args.cpu_slowdown)
            result['whole_browser_session_s'] = round(time.perf_counter() - started, 1)
        finally:
            process.terminate()
            process.wait(timeout=10)
    result.update(seeded)
    result.update({'database': url.split(':')[0], 'nodes': NODES, 'days': DAYS, 'browser_cpu_slowdown': args.cpu_slowdown,
                   **machine.describe()})
    print(json.dumps(result))


if __name__ == '__main__':
    main()
