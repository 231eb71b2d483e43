"""Simulated Gonka network (tracker + node API + participant hosts) speaking the recorded wire shapes.

Independent of the portal's upstream clients and services by design: see docs/architecture.md.
"""

from minegnk.sim.app import create_app
from minegnk.sim.server import SimServer
from minegnk.sim.state import Simulator

__all__ = ["Simulator", "SimServer", "create_app"]
