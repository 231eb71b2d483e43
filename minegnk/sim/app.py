"""The simulator's ASGI app: tracker, node API under /n1…/nN, participant hosts under /host/{address},
and the control API under /_sim/."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from minegnk.sim import bech32, node_views, tracker_views
from minegnk.sim.faults import FaultBoard
from minegnk.sim.formats import dumps
from minegnk.sim.state import Simulator, UnknownParticipant
from minegnk.sim.stats import RequestStats

log = logging.getLogger(__name__)

CHAIN = "/chain-api/productscience/inference/inference"
STAKING = "/chain-api/cosmos/staking/v1beta1"
SLASHING = "/chain-api/cosmos/slashing/v1beta1"
JSON = "application/json"
BAD_GATEWAY = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
UNAVAILABLE = b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n"
MALFORMED = b'{"simulated_fault":"malformed","participants":"not-a-list","epoch_id":"x","result":null}'

# A builder takes (request, base_url) and returns (status, JSON-able body or raw bytes)
Builder = Callable[[Request, str], tuple[int, object]]


def _json(status: int, body: object) -> Response:
    return Response(body if isinstance(body, bytes) else dumps(body), status_code=status, media_type=JSON)


class SimApp:
    """Holds the per-app services (stats, faults, body cache) around one Simulator."""

    def __init__(self, sim: Simulator):
        self.sim = sim
        self.prefixes = [f"n{i}" for i in range(1, sim.node_count + 1)]
        self.stats = RequestStats()
        self.faults = FaultBoard(self.prefixes)
        self._cache: dict[str, tuple[tuple, bytes]] = {}

    def base_url(self, request: Request) -> str:
        return self.sim.public_base or str(request.base_url).rstrip("/")

    def cached(self, name: str, base: str, build: Callable[[], object]) -> bytes:
        """Big bodies are rendered once per state version (a block or an incident), then served as bytes."""
        key = (self.sim.version, base)
        hit = self._cache.get(name)
        if hit and hit[0] == key:
            return hit[1]
        body = dumps(build())
        self._cache[name] = (key, body)
        return body

    # ------------------------------------------------------------------ request wrapper
    def endpoint(self, prefix: str, template: str, build: Builder, host_surface: bool = False):
        async def handle(request: Request) -> Response:
            self.sim.tick()
            surface = "hosts" if host_surface else prefix
            self.stats.count(surface, template)
            fault = self.faults.get(surface)
            if host_surface:
                blocked = await self._host_gate(request)
                if blocked is not None:
                    return blocked
            if fault is not None:
                if fault.mode == "down":
                    return Response(BAD_GATEWAY, status_code=502, media_type="text/html")
                if fault.mode == "http500":
                    if prefix == "tracker":
                        return _json(500, {"detail": "Internal Server Error"})
                    return Response(b"Internal Server Error", status_code=500, media_type="text/plain")
                if fault.mode in ("timeout", "slow"):
                    default = self.sim.fault_timeout_seconds if fault.mode == "timeout" else self.sim.fault_slow_seconds
                    await asyncio.sleep(fault.delay_seconds if fault.delay_seconds is not None else default)
                if fault.mode == "malformed":
                    return _json(200, MALFORMED)
            with self.sim.lock:
                status, body = build(request, self.base_url(request))
            response = _json(status, body)
            if fault is not None and fault.mode == "truncated" and status == 200:
                return Response(response.body[: len(response.body) // 2], status_code=200, media_type=JSON)
            return response

        return handle

    async def _host_gate(self, request: Request) -> Response | None:
        p = self.sim.by_address.get(request.path_params["host_address"])
        if p is None:
            return Response(BAD_GATEWAY, status_code=502, media_type="text/html")  # no such host
        if p.online:
            return None
        if p.offline_mode == "hang":
            await asyncio.sleep(self.sim.offline_hang_seconds)
        return Response(UNAVAILABLE, status_code=503, media_type="text/html")

    # ------------------------------------------------------------------ tracker
    def tracker_routes(self) -> list[Route]:
        sim = self.sim

        def hello(request, base):
            return 200, {"message": "hello"}

        def current(request, base):
            return 200, self.cached("tracker-current", base, lambda: tracker_views.inference_current(sim, base))

        def details(request, base):
            epoch, error = _query_int(request, "epoch_id")
            if error:
                return 422, error
            body = tracker_views.participant_details(sim, request.path_params["address"], epoch, base)
            return (200, body) if body is not None else (404, tracker_views.not_found())

        def inferences(request, base):
            epoch, error = _query_int(request, "epoch_id")
            if error:
                return 422, error
            return 200, tracker_views.participant_inferences(sim, request.path_params["address"], epoch)

        def timeline(request, base):
            return 200, tracker_views.timeline(sim)

        def models(request, base):
            return 200, self.cached("tracker-models", base, lambda: tracker_views.models_current(sim))

        table = [
            ("/api/v1/hello", hello),
            ("/api/v1/inference/current", current),
            ("/api/v1/participants/{address}", details),
            ("/api/v1/participants/{address}/inferences", inferences),
            ("/api/v1/timeline", timeline),
            ("/api/v1/models/current", models),
        ]
        return [Route(path, self.endpoint("tracker", path, fn), methods=["GET"]) for path, fn in table]

    # ------------------------------------------------------------------ node API
    def node_routes(self, prefix: str, mount: str, host_surface: bool = False) -> list[Route]:
        sim = self.sim

        def latest(request, base):
            return 200, node_views.epochs_latest(sim)

        def epoch_participants(request, base):
            return 200, self.cached("epoch-participants", base, lambda: node_views.epoch_participants(sim, base))

        def participants(request, base):
            try:
                limit, offset, by_key = _pagination(request)
            except (ValueError, KeyError):
                return 400, node_views.invalid_argument("invalid pagination")
            rows = self._participant_rows(base)
            return 200, node_views.chain_participants_page(sim, rows, offset, limit, by_key)

        def participant(request, base):
            p = sim.by_address.get(request.path_params["address"])
            if p is None:
                return 404, node_views.not_found()
            return 200, {"participant": node_views.chain_participant(sim, p, base)}

        def summary(request, base):
            try:
                epoch = int(request.path_params["epoch"])
            except ValueError:
                return 400, node_views.invalid_argument("invalid epoch")
            s = sim.summary(epoch, request.path_params["address"])
            if s is None:
                return 404, node_views.not_found()
            return 200, node_views.epoch_summary(sim, s)

        def hardware(request, base):
            p = sim.by_address.get(request.path_params["address"])
            if p is None:
                return 404, node_views.not_found()
            return 200, node_views.hardware_nodes(sim, p)

        def validators(request, base):
            try:
                limit, offset, by_key = _pagination(request)
            except (ValueError, KeyError):
                return 400, node_views.invalid_argument("invalid pagination")
            rows = self._rows("staking-validators-rows", base, lambda: node_views.staking_validators_all(sim))
            return 200, node_views.staking_validators_page(rows, offset, limit, by_key)

        def signing_info(request, base):
            address = request.path_params["cons_address"]
            try:
                hrp, _ = bech32.decode(address)
            except ValueError:
                hrp = ""
            if hrp != "gonkavalcons":
                return 400, node_views.invalid_argument(f"decoding bech32 failed: {address}")
            body = node_views.signing_info(sim, address)
            return (200, body) if body is not None else (404, node_views.signing_info_not_found(address))

        def rpc_status(request, base):
            return 200, node_views.chain_rpc_status(sim, prefix)

        def rpc_block(request, base):
            try:
                height = int(request.query_params.get("height") or sim.height)
            except ValueError:
                height = -1
            if not 1 <= height <= sim.height:
                return 200, {"jsonrpc": "2.0", "id": -1, "error": {
                    "code": -32603, "message": "Internal error",
                    "data": f"height {height} must be less than or equal to the current blockchain height {sim.height}"}}
            return 200, node_views.chain_rpc_block(sim, height)

        table = [
            ("/v1/epochs/latest", latest),
            ("/v1/epochs/current/participants", epoch_participants),
            (f"{CHAIN}/participant", participants),
            (f"{CHAIN}/participant/{{address}}", participant),
            (f"{CHAIN}/epoch_performance_summary/{{epoch}}/{{address}}", summary),
            (f"{CHAIN}/hardware_nodes/{{address}}", hardware),
            (f"{STAKING}/validators", validators),
            (f"{SLASHING}/signing_infos/{{cons_address}}", signing_info),
            ("/chain-rpc/status", rpc_status),
            ("/chain-rpc/block", rpc_block),
        ]
        return [Route(mount + path, self.endpoint(prefix, path, fn, host_surface), methods=["GET"])
                for path, fn in table]

    def _participant_rows(self, base: str) -> list[dict]:
        return self._rows("chain-participants-rows", base, lambda: node_views.chain_participants_all(self.sim, base))

    def _rows(self, name: str, base: str, build: Callable[[], list[dict]]) -> list[dict]:
        """Paged lists are built once per state version, then sliced per page."""
        key = (self.sim.version, base)
        hit = self._cache.get(name)
        if hit and hit[0] == key:
            return hit[1]  # type: ignore[return-value]
        rows = build()
        self._cache[name] = (key, rows)  # type: ignore[assignment]
        return rows

    # ------------------------------------------------------------------ participant hosts
    def host_routes(self) -> list[Route]:
        sim = self.sim
        mount = "/host/{host_address}"

        def versions(request, base):
            return 200, node_views.host_versions(sim.by_address[request.path_params["host_address"]])

        def status(request, base):
            return 200, {"status": "ok"}

        routes = [
            Route(mount + "/v1/versions", self.endpoint("hosts", "/v1/versions", versions, True), methods=["GET"]),
            Route(mount + "/v1/status", self.endpoint("hosts", "/v1/status", status, True), methods=["GET"]),
        ]

        async def health(request: Request) -> Response:
            # nginx answers /health itself with a static 200, but a host that is down answers nothing
            handler = self.endpoint("hosts", "/health", lambda r, b: (200, b""), True)
            response = await handler(request)
            if response.status_code == 200 and not response.body:
                return Response(b"healthy\n", media_type="text/plain")
            return response

        routes.append(Route(mount + "/health", health, methods=["GET"]))
        # any active participant's inference_url also serves the node API
        routes += self.node_routes("hosts", mount, host_surface=True)
        return routes

    # ------------------------------------------------------------------ control API
    def control_routes(self) -> list[Route]:
        sim = self.sim

        async def stats(request):
            return JSONResponse(self.stats.snapshot())

        async def stats_reset(request):
            self.stats.reset()
            return JSONResponse({"ok": True})

        async def faults(request):
            if request.method == "GET":
                return JSONResponse(self.faults.snapshot())
            body = await _body(request)
            try:
                delay = body.get("delay_seconds")
                targets = self.faults.set(str(body.get("target", "")), str(body.get("mode", "")),
                                          float(delay) if delay is not None else None)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            log.info("sim: fault %s on %s", body.get("mode"), ",".join(targets))
            return JSONResponse({"ok": True, "targets": targets, "faults": self.faults.snapshot()})

        async def advance(request):
            body = await _body(request)
            try:
                blocks, epochs = int(body.get("blocks", 0)), int(body.get("epochs", 0))
            except (TypeError, ValueError):
                return JSONResponse({"error": "blocks/epochs must be integers"}, status_code=400)
            if blocks < 0 or epochs < 0 or blocks + epochs == 0:
                return JSONResponse({"error": "give a positive 'blocks' or 'epochs'"}, status_code=400)
            await asyncio.to_thread(sim.advance, blocks, epochs)
            return JSONResponse(sim.state())

        async def incident(request):
            body = await _body(request)
            blocks = body.get("blocks")
            try:
                p = sim.apply_incident(str(body.get("address", "")), str(body.get("kind", "")),
                                       blocks=int(blocks) if blocks is not None else None, mode=body.get("mode"))
            except UnknownParticipant:
                return JSONResponse({"error": "unknown address"}, status_code=404)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            with sim.lock:
                return JSONResponse({"ok": True, "participant": sim.participant_state(p)})

        async def scenarios(request):
            return JSONResponse(sim.scenario_addresses())

        async def state(request):
            sim.tick()
            with sim.lock:
                out = sim.state()
            out["faults"] = self.faults.snapshot()
            return JSONResponse(out)

        async def participant(request):
            p = sim.by_address.get(request.path_params["address"])
            if p is None:
                return JSONResponse({"error": "unknown address"}, status_code=404)
            sim.tick()
            with sim.lock:
                return JSONResponse(sim.participant_state(p))

        return [
            Route("/_sim/stats", stats, methods=["GET"]),
            Route("/_sim/stats/reset", stats_reset, methods=["POST"]),
            Route("/_sim/faults", faults, methods=["GET", "POST"]),
            Route("/_sim/advance", advance, methods=["POST"]),
            Route("/_sim/incident", incident, methods=["POST"]),
            Route("/_sim/scenarios", scenarios, methods=["GET"]),
            Route("/_sim/state", state, methods=["GET"]),
            Route("/_sim/participants/{address}", participant, methods=["GET"]),
        ]


def _pagination(request: Request) -> tuple[int, int, bool]:
    """Cosmos `pagination.limit` (default 100), `pagination.key` or `pagination.offset` -> (limit, offset, by_key)."""
    q = request.query_params
    limit = int(q.get("pagination.limit", "100") or 100)
    by_key = bool(q.get("pagination.key"))
    offset = node_views.decode_page_key(q["pagination.key"]) if by_key else int(q.get("pagination.offset", "0") or 0)
    return max(1, limit), offset, by_key


def _query_int(request: Request, name: str) -> tuple[int, object]:
    """FastAPI-style required int query parameter: (value, None) or (0, 422 body)."""
    raw = request.query_params.get(name)
    if raw is None:
        return 0, {"detail": [{"type": "missing", "loc": ["query", name], "msg": "Field required", "input": None}]}
    try:
        return int(raw), None
    except ValueError:
        return 0, {"detail": [{"type": "int_parsing", "loc": ["query", name],
                               "msg": "Input should be a valid integer, unable to parse string as an integer",
                               "input": raw}]}


async def _body(request: Request) -> dict:
    raw = await request.body()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def create_app(sim: Simulator) -> Starlette:
    sim_app = SimApp(sim)
    routes = sim_app.control_routes() + sim_app.tracker_routes() + sim_app.host_routes()
    for prefix in sim_app.prefixes:
        routes += sim_app.node_routes(prefix, f"/{prefix}")
    app = Starlette(routes=routes)
    app.state.sim = sim
    app.state.sim_app = sim_app
    return app
