"""The processes benchmarks measure against: the network simulator on a free loopback port, and waiting for a
process to answer HTTP."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_http(url: str, what: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'{what} exited with {process.returncode}')
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f'{what} did not start')


def start_sim(participants: int) -> tuple[subprocess.Popen, str]:
    """The simulator (clock frozen, no scripted incidents) with ``participants`` network participants."""
    port = free_port()
    process = subprocess.Popen([sys.executable, '-m', 'minegnk.sim', '--port', str(port), '--participants',
                                str(participants), '--speed', '0', '--no-scripted', '--log-level', 'warning'],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f'http://127.0.0.1:{port}'
    wait_http(f'{base}/_sim/state', 'simulator', process)
    return process, base
