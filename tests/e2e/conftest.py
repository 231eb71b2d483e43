"""Real-browser fixtures: the portal started as `python main.py` in a subprocess and Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get('MINEGNK_TEST_CHROMIUM', '/usr/bin/chromium')
SCREENSHOTS = ROOT / 'screenshots'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class PortalProcess:
    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        # NiceGUI treats a process with PYTEST_* variables as its own screen test; this one is a real server.
        env = {key: value for key, value in os.environ.items() if not key.startswith(('MINEGNK_', 'PYTEST_', 'NICEGUI_'))}
        env.update({'MINEGNK_PORT': str(self.port), 'MINEGNK_DATA_DIR': str(data_dir),
                    'MINEGNK_SCHEDULER_ENABLED': 'false', **(extra_env or {})})
        self.log = (data_dir / 'portal.log').open('w') if data_dir.mkdir(parents=True, exist_ok=True) is None else None
        self.process = subprocess.Popen([sys.executable, str(ROOT / 'main.py')], env=env, cwd=data_dir,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready(data_dir)

    def _wait_ready(self, data_dir: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'portal exited: {(data_dir / "portal.log").read_text()[-2000:]}')
            try:
                if httpx.get(f'{self.url}/readyz', timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError('portal did not become ready in 60 s')

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.log:
            self.log.close()


def log_in_page(page, base_url: str, email: str, password: str):  # noqa: ANN001, ANN201
    """Log ``page`` in through the login page; returns it on the dashboard ('/')."""
    page.goto(f'{base_url}/login')
    page.get_by_label('Email').fill(email)
    page.get_by_label('Password', exact=True).fill(password)
    page.get_by_role('button', name='Log in').click()
    page.wait_for_url(f'{base_url}/')
    return page


@pytest.fixture(scope='session')
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f'{CHROMIUM} not installed (apt-get install chromium chromium-driver; .ci/run does this)'
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[PortalProcess]:
    process = PortalProcess(tmp_path / 'portal')
    yield process
    process.stop()


@pytest.fixture
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under screenshots/ (git-ignored) for a person to look at."""
    def take(page: object, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f'{name}.png'
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path
    return take


@pytest.fixture
def start_portal(tmp_path: Path):
    """Start `python main.py` with extra settings: start_portal({'MINEGNK_DATABASE_URL': ...})."""
    started: list[PortalProcess] = []

    def start(extra_env: dict[str, str] | None = None, name: str = 'portal') -> PortalProcess:
        process = PortalProcess(tmp_path / name, extra_env)
        started.append(process)
        return process
    yield start
    for process in started:
        process.stop()


def _pg_bin() -> Path | None:
    for candidate in sorted(Path('/usr/lib/postgresql').glob('*/bin'), reverse=True):
        if (candidate / 'initdb').exists():
            return candidate
    return None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster of our own, so a test may stop and start it."""

    def __init__(self, base: Path) -> None:
        self.bin = _pg_bin()
        self.dir = base / 'pgdata'
        self.port = free_port()
        self.url = f'postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres'
        base.mkdir(parents=True, exist_ok=True)
        shutil.chown(base, 'postgres')
        self._as_postgres([str(self.bin / 'initdb'), '-D', str(self.dir), '-U', 'postgres', '--auth=trust', '-E', 'UTF8'])
        self.start()

    def _as_postgres(self, command: list[str]) -> None:
        prefix = ['runuser', '-u', 'postgres', '--'] if os.geteuid() == 0 else []
        result = subprocess.run(prefix + command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f'{command[0]} failed: {result.stderr or result.stdout}')

    def start(self) -> None:
        self._as_postgres([str(self.bin / 'pg_ctl'), '-D', str(self.dir), '-w', '-l', str(self.dir / 'log'), '-o',
                           f'-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1', 'start'])

    def stop(self) -> None:
        self._as_postgres([str(self.bin / 'pg_ctl'), '-D', str(self.dir), '-w', '-m', 'fast', 'stop'])


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if _pg_bin() is None:
        message = 'PostgreSQL server binaries (initdb) not installed'
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail(message)
        pytest.skip(message)
    base = Path(tempfile.mkdtemp(prefix='minegnk-pg-'))  # pytest's tmp dirs are private to root; postgres must enter
    base.chmod(0o755)
    server = PrivatePostgres(base / 'cluster')
    yield server
    try:
        server.stop()
    except RuntimeError:
        pass  # already stopped
    shutil.rmtree(base, ignore_errors=True)
