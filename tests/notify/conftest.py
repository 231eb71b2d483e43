"""Real servers for the channels: an SMTP server (aiosmtpd), a fake Telegram Bot API and a Discord webhook endpoint
(Starlette under uvicorn in a thread), all on loopback; plus the simulator fixtures from tests/jobs."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from minegnk.config import get_settings
from tests.jobs.conftest import assign, control, job, sim  # noqa: F401 - fixtures shared with the refresh tests

BOT_TOKEN = '123456:TEST-token_abc'
BOT_NAME = 'minegnk_test_bot'
PUBLIC_URL = 'https://portal.example'
WEBHOOK = 'https://discord.com/api/webhooks/123456789012345678/' + 'T' * 68


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------------- SMTP
class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd's handler hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return '250 OK'

    def subjects(self) -> list[str]:
        return [str(m['Subject']) for _, _, m in self.messages]


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox = field(default_factory=Inbox)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname='127.0.0.1', port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


# ---------------------------------------------------------------------------------------------------- HTTP fakes
class ThreadServer:
    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host='127.0.0.1', port=self.port, log_level='warning',
                                                    lifespan='off'))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError('server did not start')

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)


class FakeTelegram:
    """The two Bot API methods we use. ``sent`` holds every sendMessage body; ``updates`` waits for getUpdates."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.updates: list[dict] = []
        self.fail_status: int | None = None
        self.next_update = 1
        self.token_seen: set[str] = set()

    def user_starts(self, chat_id: int, text: str) -> None:
        self.updates.append({'update_id': self.next_update, 'message': {
            'message_id': self.next_update, 'text': text, 'chat': {'id': chat_id, 'type': 'private'}}})
        self.next_update += 1

    def app(self) -> Starlette:
        async def method(request: Request) -> Response:
            self.token_seen.add(request.path_params['token'])
            body = await request.json()
            if request.path_params['method'] == 'getUpdates':
                offset = body.get('offset') or 0
                result = [u for u in self.updates if u['update_id'] >= offset]
                return JSONResponse({'ok': True, 'result': result})
            if self.fail_status:
                return JSONResponse({'ok': False, 'error_code': self.fail_status, 'description': 'down'},
                                    status_code=self.fail_status)
            self.sent.append(body)
            return JSONResponse({'ok': True, 'result': {'message_id': len(self.sent)}})
        return Starlette(routes=[Route('/bot{token}/{method}', method, methods=['POST'])])


class FakeDiscord:
    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        self.fail_status: int | None = None

    def app(self) -> Starlette:
        async def webhook(request: Request) -> Response:
            if self.fail_status:
                return JSONResponse({'message': 'unavailable'}, status_code=self.fail_status)
            self.received.append((request.url.path, await request.json()))
            return Response(status_code=204)
        return Starlette(routes=[Route('/api/webhooks/{id}/{token}', webhook, methods=['POST'])])


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    with ThreadServer(fake.app()) as server:
        fake.url = server.url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    fake = FakeDiscord()
    with ThreadServer(fake.app()) as server:
        fake.url = server.url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def channel_env(isolated_settings, monkeypatch, smtp_server, telegram, discord):  # noqa: ANN001
    """Settings pointing every channel at the local servers; quick retries."""
    values = {'SMTP_HOST': '127.0.0.1', 'SMTP_PORT': str(smtp_server.port), 'SMTP_SECURITY': 'none',
              'SMTP_FROM': 'MineGNK <alerts@portal.example>', 'TELEGRAM_BOT_TOKEN': BOT_TOKEN,
              'TELEGRAM_API_URL': telegram.url, 'TELEGRAM_BOT_NAME': BOT_NAME, 'DISCORD_API_URL': discord.url,
              'PUBLIC_URL': PUBLIC_URL, 'NOTIFY_RETRY_SECONDS': '0.01'}
    for key, value in values.items():
        monkeypatch.setenv(f'MINEGNK_{key}', value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
