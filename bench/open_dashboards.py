"""Open dashboards: 300 connected dashboard clients on one portal process; memory per client and how long one
refresh event takes to reach all of them.

    .venv/bin/python bench/open_dashboards.py [--clients 300] [--users 50] [--nodes-per-user 5]

The simulator runs in its own process; the portal runs as ``python main.py`` (SQLite in a temporary data dir) with
its background refresh pointed at the simulator, so the refresh event is the real one (``data_refreshed``, emitted
after a cycle). Real browser tabs are too heavy for 300 on 2 cores, so each tab is simulated the way NiceGUI's
browser code talks to the server: log in through the login page's socket events (email, password, click "Log in",
follow the ``/auth/complete`` navigation with the session cookie), GET ``/``, then connect the page's socket.io
websocket with the client id from the HTML (implicit handshake, as ``nicegui.js`` does) and acknowledge messages
every 3 s. The server therefore holds one full dashboard client (element tree, subscriptions) per tab.

Memory per client: the portal's RSS after all tabs are connected and settled, minus its RSS before the first tab,
divided by the number of tabs. Refresh latency: an admin tab clicks "Refresh data now" on ``/admin/system``; the
cycle's end is the timestamp of the portal's ``refresh cycle:`` log line (written just before the event is emitted);
each tab's latency is its first ``update`` message after that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import socketio  # noqa: E402

import machine  # noqa: E402  (bench/machine.py, beside this file)
from processes import free_port, start_sim, wait_http  # noqa: E402

PASSWORD = 'correct horse battery staple'
ADMIN_EMAIL = 'admin@example.com'
WS_PATH = '/_nicegui_ws/socket.io'
LOG_TIME = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ')


def rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f'no VmRSS for {pid}')


def portal_env(data_dir: Path, url: str, port: int, sim: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('MINEGNK_', 'PYTEST_', 'NICEGUI_'))}
    env.update({'MINEGNK_PORT': str(port), 'MINEGNK_DATA_DIR': str(data_dir), 'MINEGNK_DATABASE_URL': url,
                'MINEGNK_LOG_LEVEL': 'INFO', 'MINEGNK_SCHEDULER_ENABLED': 'true' if sim else 'false', **extra})
    if sim:
        env.update({'MINEGNK_TRACKER_URL': sim, 'MINEGNK_NODE_URLS': f'{sim}/n1,{sim}/n2'})
    return env


def start_portal(env: dict[str, str], data_dir: Path) -> tuple[subprocess.Popen, str, Path]:
    log_path = data_dir / 'portal.log'
    process = subprocess.Popen([sys.executable, str(ROOT / 'main.py')], env=env, cwd=data_dir,
                               stdout=log_path.open('w'), stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{env["MINEGNK_PORT"]}'
    try:
        wait_http(f'{base}/readyz', 'portal', process)
    except RuntimeError as e:
        raise RuntimeError(f'{e}: {log_path.read_text()[-2000:]}') from None
    return process, base, log_path


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def log_times(log_path: Path, marker: str) -> list[float]:
    """Epoch seconds of the portal's log lines containing ``marker`` (its log times are local, like ours)."""
    times = []
    for line in log_path.read_text(errors='replace').splitlines():
        if marker in line and (m := LOG_TIME.match(line)):
            times.append(datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S,%f').timestamp())
    return times


def seed(url: str, sim: str, users: int, nodes_per_user: int) -> list[str]:
    """Customers with simulated nodes and 60 settled epochs each (so the backfill has nothing left to fetch and
    emits no second event), plus an admin. Returns the customers' emails."""
    from minegnk.db.engine import init_database, session_scope
    from minegnk.db.migrate import upgrade_to_head
    from minegnk.db.models import EarningsHistory, Node, NodeAssignment, User, utcnow
    from minegnk.services import accounts
    upgrade_to_head(url)
    init_database(url)
    epoch = httpx.get(f'{sim}/_sim/state', timeout=30).json()['epoch']
    participants = httpx.get(f'{sim}/api/v1/inference/current', timeout=30).json()['participants']
    addresses = iter(p['address'] for p in participants)
    now = utcnow()
    emails = [f'customer{i:04d}@example.com' for i in range(users)]
    with session_scope() as db:
        accounts.ensure_admin(db, ADMIN_EMAIL, PASSWORD)
        password_hash = accounts.register(db, emails[0], PASSWORD).password_hash  # one real hash, shared (speed)
        db.flush()
        for email in emails[1:]:
            db.add(User(email=email, password_hash=password_hash))
        db.flush()
        for user in db.query(User).filter(User.email.in_(emails)):
            for _ in range(nodes_per_user):
                node = Node(address=next(addresses))
                db.add(node)
                db.flush()
                db.add(NodeAssignment(node_id=node.id, user_id=user.id, assigned_at=now - timedelta(days=90)))
                for e in range(max(1, epoch - 60), epoch):
                    db.add(EarningsHistory(node_id=node.id, epoch_id=e, reward_ngonka=40_000_000_000 + node.id * 7 + e,
                                           work_ngonka=1_000_000 + e, claimed=True, inference_count=900,
                                           missed_requests=3, settled_at=now - timedelta(days=epoch - e),
                                           source='node_api', fetched_at=now))
    return emails


@dataclass
class Tab:
    """One simulated browser tab: a NiceGUI client on the server, its socket here."""

    browser: Browser
    path: str
    elements: dict[str, Any] = field(default_factory=dict)
    client_id: str = ''
    sio: socketio.AsyncClient | None = None
    next_message_id: int = 0
    acked: int = -1
    updates: list[float] = field(default_factory=list)  # arrival times (time.time()) of 'update' messages
    opened: list[str] = field(default_factory=list)  # paths the server navigated this tab to
    got_update: asyncio.Event = field(default_factory=asyncio.Event)

    async def open(self) -> None:
        for _ in range(3):  # a 500 when the page is not built within NiceGUI's response timeout: reload, as people do
            response = await self.browser.http.get(self.path)
            if response.status_code < 500:
                break
            self.browser.server_errors += 1
        response.raise_for_status()
        html = response.text
        raw = re.search(r'parseElements\(String\.raw`(.*?)`\)', html, re.S).group(1)
        for escaped, plain in (('&#36;', '$'), ('&#96;', '`'), ('&gt;', '>'), ('&lt;', '<'), ('&amp;', '&')):
            raw = raw.replace(escaped, plain)
        self.elements = json.loads(raw)
        self.client_id = re.search(r"['\"]client_id['\"]: ?['\"]([^'\"]+)", html).group(1)
        self.next_message_id = int(re.search(r"['\"]next_message_id['\"]: ?(\d+)", html).group(1))
        query = {'client_id': self.client_id, 'next_message_id': self.next_message_id, 'implicit_handshake': 'true',
                 'document_id': str(uuid.uuid4()), 'tab_id': str(uuid.uuid4()), 'old_tab_id': ''}
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.browser.aiohttp, request_timeout=120)
        self.sio.on('update', self._on_update)
        self.sio.on('open', self._on_open)
        self.sio.on('run_javascript', self._on_run_javascript)
        cookie = '; '.join(f'{c.name}={c.value}' for c in self.browser.http.cookies.jar)
        base = str(self.browser.http.base_url).rstrip('/')
        await self.sio.connect(f'{base}/?{"&".join(f"{k}={v}" for k, v in query.items())}',
                               headers={'Cookie': cookie}, transports=['websocket'], socketio_path=WS_PATH,
                               wait_timeout=60)

    def _seen(self, message: dict[str, Any]) -> bool:
        message_id = message.pop('_id', None)
        if message_id is None:
            return True
        if message_id < self.next_message_id:
            return False
        self.next_message_id = message_id + 1
        return True

    async def _on_update(self, message: dict[str, Any]) -> None:
        if self._seen(message):
            self.updates.append(time.time())
            for element_id, element in message.items():
                if element is None:
                    self.elements.pop(element_id, None)
                else:
                    self.elements[element_id] = element
            self.got_update.set()

    async def _on_open(self, message: dict[str, Any]) -> None:
        if self._seen(message):
            self.opened.append(message['path'])

    async def _on_run_javascript(self, message: dict[str, Any]) -> None:
        """No JavaScript engine here: answer the two questions the portal's pages ask like a desktop browser in UTC
        (is the drawer open, which time zone), anything else with null, so no server-side wait times out."""
        if not self._seen(message) or message.get('request_id') is None:
            return
        code = message.get('code', '')
        result = True if '__IS_DRAWER_OPEN__' in code else 'UTC' if 'timeZone' in code else None
        await self.sio.emit('javascript_response', {'request_id': message['request_id'], 'client_id': self.client_id,
                                                    'result': result})

    async def ack(self) -> None:
        """What nicegui.js does every 3 s: lets the server drop its resend history."""
        if self.sio is not None and self.sio.connected and self.acked < self.next_message_id:
            await self.sio.emit('ack', {'client_id': self.client_id, 'next_message_id': self.next_message_id})
            self.acked = self.next_message_id

    def find(self, **match: Any) -> str:
        """Id of the first element whose tag, text or props match (e.g. ``label='Email'``)."""
        for element_id, element in self.elements.items():
            props = element.get('props', {})
            if all(element.get(k) == v or props.get(k) == v for k, v in match.items()):
                return element_id
        raise LookupError(f'no element {match} on {self.path}')

    async def trigger(self, element_id: str, event_type: str, *args: Any) -> None:
        listener = next(e for e in self.elements[element_id]['events'] if e['type'] == event_type)
        await self.sio.emit('event', {'id': int(element_id), 'client_id': self.client_id,
                                      'listener_id': listener['listener_id'], 'args': [json.dumps(a) for a in args]})

    async def fill(self, element_id: str, value: str) -> None:
        types = {e['type'] for e in self.elements[element_id]['events']}
        await self.trigger(element_id, 'update:value' if 'update:value' in types else 'update:modelValue', value)

    async def close(self) -> None:
        if self.sio is not None and self.sio.connected:
            await self.sio.disconnect()


class Browser:
    """A cookie jar shared by its tabs, like one browser profile."""

    def __init__(self, base: str, aiohttp_session: Any) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=True)
        self.aiohttp = aiohttp_session
        self.tabs: list[Tab] = []
        self.server_errors = 0  # page loads answered with a 5xx (then retried)

    async def tab(self, path: str) -> Tab:
        tab = Tab(self, path)
        await tab.open()
        self.tabs.append(tab)
        return tab

    async def login(self, email: str, password: str = PASSWORD, *, deadline: float = 120) -> None:
        """The login page's real flow: type, click, follow the server's navigation to /auth/complete."""
        tab = await self.tab('/login')
        await tab.fill(tab.find(label='Email'), email)
        await tab.fill(tab.find(label='Password'), password)
        await tab.trigger(tab.find(label='Log in'), 'click')
        end = time.monotonic() + deadline
        while not tab.opened:
            if time.monotonic() > end:
                raise RuntimeError(f'login of {email} did not navigate')
            await asyncio.sleep(0.05)
        (await self.http.get(tab.opened[0])).raise_for_status()  # sets the session on this browser's cookie
        await tab.close()
        self.tabs.remove(tab)

    async def close(self) -> None:
        for tab in self.tabs:
            await tab.close()
        await self.http.aclose()


async def gather_limited(limit: int, coroutines: list) -> list:
    semaphore = asyncio.Semaphore(limit)

    async def run(coroutine):  # noqa: ANN001, ANN202
        async with semaphore:
            return await coroutine
    return await asyncio.gather(*(run(c) for c in coroutines))


async def settle(tabs: list[Tab], timeout: float) -> int:
    """Wait until every tab has had its first update (or ``timeout``); returns how many had none."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(t.got_update.is_set() for t in tabs):
        await asyncio.sleep(0.1)
    return sum(not t.got_update.is_set() for t in tabs)


async def ack_loop(tabs: list[Tab], stop_event: asyncio.Event) -> None:
    while not stop_event.is_set():
        await asyncio.gather(*(t.ack() for t in tabs), return_exceptions=True)
        try:
            await asyncio.wait_for(stop_event.wait(), 3)
        except asyncio.TimeoutError:
            pass


def pct(values: list[float], q: float) -> float:
    if not values:
        return float('nan')
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_bench(args: argparse.Namespace, base: str, portal: subprocess.Popen, log_path: Path,
                    emails: list[str]) -> dict[str, Any]:
    import aiohttp
    result: dict[str, Any] = {}
    # No connection limit: every open tab holds one websocket (aiohttp's default pool stops at 100).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        admin = Browser(base, session)
        browsers = [Browser(base, session) for _ in emails]
        stop_event = asyncio.Event()
        tabs: list[Tab] = []
        acker = asyncio.create_task(ack_loop(tabs, stop_event))
        try:
            started = time.perf_counter()
            await admin.login(ADMIN_EMAIL)
            await gather_limited(4, [b.login(e) for b, e in zip(browsers, emails)])
            result['login_s'] = round(time.perf_counter() - started, 1)
            system_tab = await admin.tab('/admin/system')
            tabs.append(system_tab)
            # One dashboard per user first: warms the per-process caches, so the measured RSS delta is per tab.
            warm = await gather_limited(4, [b.tab('/') for b in browsers])
            await settle(warm, 120)
            tabs.extend(warm)
            await asyncio.sleep(3)
            rss_before = rss_mb(portal.pid)
            started = time.perf_counter()
            extra = args.clients - len(warm)
            opened = await gather_limited(args.open_concurrency, [browsers[i % len(browsers)].tab('/')
                                                                  for i in range(extra)])
            tabs.extend(opened)
            result['tabs_without_first_update'] = await settle(opened, 300)  # the feed loaded after the first paint
            result['open_s'] = round(time.perf_counter() - started, 1)
            await asyncio.sleep(5)  # timers done, acks sent, nothing in flight
            rss_after = rss_mb(portal.pid)
            dashboards = [t for t in tabs if t.path == '/']
            result.update(clients=len(dashboards), rss_before_mb=round(rss_before, 1), rss_after_mb=round(rss_after, 1),
                          per_client_kb=round((rss_after - rss_before) * 1024 / len(opened), 1),
                          per_client_measured_over=len(opened),
                          elements_per_dashboard=round(statistics.mean(len(t.elements) for t in dashboards)))

            cycles_before = len(log_times(log_path, 'refresh cycle:'))
            clicked = time.time()
            await system_tab.trigger(system_tab.find(label='Refresh data now'), 'click')
            deadline = time.monotonic() + 600
            while len(log_times(log_path, 'refresh cycle:')) <= cycles_before:
                if time.monotonic() > deadline:
                    raise RuntimeError('no refresh cycle after "Refresh data now": ' + log_path.read_text()[-1500:])
                await asyncio.sleep(0.05)
            emitted = log_times(log_path, 'refresh cycle:')[-1]
            late: list[Tab] = []
            deadline = time.monotonic() + args.update_deadline
            while time.monotonic() < deadline:
                late = [t for t in dashboards if not any(u >= emitted for u in t.updates)]
                if not late:
                    break
                await asyncio.sleep(0.05)
            result['not_updated'] = len(late)
            result['not_updated_disconnected'] = sum(not t.sio.connected for t in late)
            latencies = [min(u for u in t.updates if u >= emitted) - emitted for t in dashboards if t not in late]
            await asyncio.sleep(3)
            result['page_loads_retried_after_5xx'] = sum(b.server_errors for b in [admin, *browsers])
            result.update(click_to_event_s=round(emitted - clicked, 2),
                          latency_p50_s=round(pct(latencies, 0.50), 2), latency_p95_s=round(pct(latencies, 0.95), 2),
                          latency_max_s=round(pct(latencies, 1), 2), latency_min_s=round(pct(latencies, 0), 2),
                          rss_after_refresh_mb=round(rss_mb(portal.pid), 1))
        finally:
            stop_event.set()
            await acker
            await asyncio.gather(*(b.close() for b in [admin, *browsers]), return_exceptions=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=300, help='open dashboard tabs in all')
    parser.add_argument('--users', type=int, default=50, help='customers the tabs belong to (round robin)')
    parser.add_argument('--nodes-per-user', type=int, default=5)
    parser.add_argument('--participants', type=int, default=1000, help='network participants in the simulator')
    parser.add_argument('--open-concurrency', type=int, default=8, help='tabs being opened at the same time')
    parser.add_argument('--update-deadline', type=float, default=240,
                        help='seconds after the refresh event by which every tab should have its update')
    args = parser.parse_args()
    for name in ('engineio.client', 'socketio.client'):  # a closing socket's "packet queue is empty" is no news
        logging.getLogger(name).setLevel(logging.CRITICAL)
    sim_process, sim = start_sim(args.participants)
    try:
        with tempfile.TemporaryDirectory(prefix='minegnk-bench-') as tmp:
            data_dir = Path(tmp)
            url = f'sqlite:///{data_dir / "bench.sqlite3"}'
            emails = seed(url, sim, args.users, args.nodes_per_user)
            # refresh every 300 s: the cycle at start fills the caches, the measured one is the admin's click
            env = portal_env(data_dir, url, free_port(), sim, MINEGNK_REFRESH_SECONDS='300')
            portal, base, log_path = start_portal(env, data_dir)
            try:
                deadline = time.monotonic() + 120
                while not log_times(log_path, 'refresh cycle:'):  # the first cycle (at start) is done
                    if time.monotonic() > deadline or portal.poll() is not None:
                        raise RuntimeError('no first refresh cycle: ' + log_path.read_text()[-1500:])
                    time.sleep(0.2)
                try:
                    result = asyncio.run(run_bench(args, base, portal, log_path, emails))
                except Exception:
                    kept = Path(tempfile.gettempdir()) / 'open_dashboards_portal.log'
                    kept.write_text(log_path.read_text(errors='replace'))
                    print(f'portal log kept in {kept}; its tail:\n{kept.read_text()[-3000:]}', file=sys.stderr)
                    raise
                text = log_path.read_text(errors='replace')
                cycle = re.findall(r'refresh cycle: .* in ([\d.]+) s', text)
                result['measured_cycle_s'] = float(cycle[-1]) if cycle else None
                result['pages_not_ready_in_time'] = text.count('not ready after')
                result['javascript_timeouts'] = text.count('JavaScript did not respond')
            finally:
                stop(portal)
    finally:
        stop(sim_process)
    r = result
    print(f'# {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · SQLite · '
          f'{args.users} customers × {args.nodes_per_user} nodes, {r["clients"]} dashboard tabs '
          f'({r["elements_per_dashboard"]} elements each)')
    print('| measure | value |')
    print('|---|---:|')
    for label, value in (
            ('open dashboard clients', r['clients']),
            ('portal RSS before the extra tabs / with all tabs, MB', f'{r["rss_before_mb"]} / {r["rss_after_mb"]}'),
            (f'**memory per client** (over {r["per_client_measured_over"]} tabs), KB', f'**{r["per_client_kb"]:,}**'),
            ('opening those tabs (GET / + websocket + feed), s', r['open_s']),
            ('refresh cycle (click → event), s', f'{r["measured_cycle_s"]} ({r["click_to_event_s"]})'),
            ('event → first update per client: min / p50 / p95, s',
             f'{r["latency_min_s"]} / {r["latency_p50_s"]} / {r["latency_p95_s"]}'),
            ('**event → all clients updated**, s', f'**{r["latency_max_s"]}**' + (
                f' (without {r["not_updated"]} tabs that got no update within {args.update_deadline:g} s, '
                f'{r["not_updated_disconnected"]} of them disconnected)' if r['not_updated'] else '')),
            ('tabs that never got their first update after opening', r['tabs_without_first_update']),
            ('portal RSS after the refresh, MB', r['rss_after_refresh_mb']),
            ('page loads answered 5xx (page not built within 3 s) and retried', r['page_loads_retried_after_5xx'])):
        print(f'| {label} | {value} |')
    print(json.dumps({**result, **machine.describe()}))


if __name__ == '__main__':
    main()
