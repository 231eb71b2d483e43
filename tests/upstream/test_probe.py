"""The liveness probe against real sockets: status line parsing, failures as results, never an exception."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from minegnk.upstream.probe import make_probe_client, probe_liveness


requests_seen: list[bytes] = []


@pytest.fixture
async def host() -> AsyncIterator[str]:
    """A raw TCP server whose answer depends on the path: /ok, /fail, /hang, /junk."""
    seen = requests_seen

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b'\r\n\r\n')
        seen.append(request)
        path = request.split(b' ')[1]
        if path.startswith(b'/ok'):
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}')
        elif path.startswith(b'/fail'):
            writer.write(b'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n')
        elif path.startswith(b'/redirect'):
            writer.write(b'HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\n\r\n')
        elif path.startswith(b'/hang'):
            await asyncio.sleep(5)
        else:
            writer.write(b'SSH-2.0-OpenSSH_9.2\r\n')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    requests_seen.clear()
    yield f'http://127.0.0.1:{port}'
    server.close()


async def test_probe_results(host: str):
    prober = make_probe_client()
    ok = await probe_liveness(prober, f'{host}/ok/')
    assert (ok.ok, ok.status, ok.error) == (True, 200, None) and ok.latency_ms is not None
    assert ok.url == f'{host}/ok/v1/versions'
    failed = await probe_liveness(prober, f'{host}/fail')
    assert (failed.ok, failed.status, failed.error) == (False, 500, 'HTTP 500')
    redirect = await probe_liveness(prober, f'{host}/redirect')
    assert (redirect.ok, redirect.error) == (False, 'HTTP 302')  # redirects are never followed
    hang = await probe_liveness(prober, f'{host}/hang', timeout=0.3)
    assert (hang.ok, hang.status, hang.error) == (False, None, 'timeout')
    junk = await probe_liveness(prober, f'{host}/junk')
    assert (junk.ok, junk.error) == (False, 'not an HTTP response')


async def test_probe_sends_a_proper_request(host: str):
    await probe_liveness(make_probe_client(), f'{host}/ok')
    request = requests_seen[-1]
    assert request.startswith(b'GET /ok/v1/versions HTTP/1.1\r\n')
    assert b'\r\nUser-Agent: MineGNK/' in request and b'\r\nConnection: close\r\n' in request


@pytest.mark.parametrize(('url', 'error'), [('', 'no inference URL'), ('not a url', 'invalid inference URL'),
                                            ('ftp://host/x', 'invalid inference URL')])
async def test_probe_rejects_unusable_urls(url: str, error: str):
    result = await probe_liveness(make_probe_client(), url)
    assert (result.ok, result.error) == (False, error)


async def test_probe_refused_connection():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    result = await probe_liveness(make_probe_client(), f'http://127.0.0.1:{port}', timeout=1)
    assert (result.ok, result.error) == (False, 'connection failed')


async def test_probe_concurrency_is_bounded(host: str):
    prober = make_probe_client(max_connections=3)
    results = await asyncio.gather(*(probe_liveness(prober, f'{host}/ok') for _ in range(20)))
    assert all(r.ok for r in results)
