"""`python -m minegnk.sim --port 9100`: run the simulated Gonka network (tracker + node API) alone."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from minegnk.sim.app import create_app
from minegnk.sim.state import Simulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m minegnk.sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--participants", type=int, default=60, help="registered participants (>= 34)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epoch-length", type=int, default=120, help="blocks per epoch (mainnet: 15391)")
    parser.add_argument("--block-seconds", type=float, default=6.0, help="nominal seconds per block")
    parser.add_argument("--speed", type=float, default=1.0, help="time multiplier; 0 freezes the clock")
    parser.add_argument("--history-epochs", type=int, default=60, help="settled epochs before the start")
    parser.add_argument("--start-epoch", type=int, default=105)
    parser.add_argument("--nodes", type=int, default=3, help="node API prefixes /n1../nN")
    parser.add_argument("--no-scripted", action="store_true", help="no incidents on a timer")
    parser.add_argument("--public-base", default=None,
                        help="base URL written into inference_url (default: the request's own base URL)")
    parser.add_argument("--timeout-seconds", type=float, default=30.0, help="sleep of the 'timeout' fault")
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sim = Simulator(
        seed=args.seed, participants=args.participants, epoch_length=args.epoch_length,
        block_seconds=args.block_seconds, speed=args.speed, history_epochs=args.history_epochs,
        start_epoch=args.start_epoch, node_count=args.nodes, scripted=not args.no_scripted,
        public_base=args.public_base, fault_timeout_seconds=args.timeout_seconds,
    )
    uvicorn.run(create_app(sim), host=args.host, port=args.port, log_level=args.log_level, access_log=False)


if __name__ == "__main__":
    main()
