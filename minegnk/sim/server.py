"""Runs the simulator app with uvicorn in a background thread on a free local port (tests, demo mode)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from minegnk.sim.app import create_app
from minegnk.sim.state import Simulator


class SimServer:
    """`with SimServer(participants=60, speed=0) as server: httpx.get(server.tracker_url + "/api/v1/...")`.

    tracker_url is the tracker's base (paths start with /api/v1, as on tracker.gonka.hyperfusion.io);
    node_urls are the node API bases (/n1, /n2, …); control_url is the /_sim control API base.
    """

    def __init__(self, sim: Simulator | None = None, host: str = "127.0.0.1", port: int = 0,
                 startup_timeout: float = 10.0, **simulator_options):
        self.sim = sim if sim is not None else Simulator(**simulator_options)
        self.host = host
        self._requested_port = port
        self._startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None
        self.app = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("SimServer is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def tracker_url(self) -> str:
        return self.base_url

    @property
    def node_urls(self) -> list[str]:
        return [f"{self.base_url}/n{i}" for i in range(1, self.sim.node_count + 1)]

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/_sim"

    def host_url(self, address: str) -> str:
        return f"{self.base_url}/host/{address}"

    def start(self) -> "SimServer":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self.port = sock.getsockname()[1]
        if self.sim.public_base is None:
            self.sim.public_base = self.base_url
        self.app = create_app(self.sim)
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"minegnk-sim-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("simulator server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "SimServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
