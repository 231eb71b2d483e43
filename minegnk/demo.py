"""``python main.py --demo``: the portal offline against the built-in network simulator, with demo accounts.

The simulator runs in-process on a free loopback port; demo data lives in its own database file under
``<data dir>/demo/``, never in the database a real deployment uses.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from minegnk.config import Settings
from minegnk.db.engine import session_scope
from minegnk.db.models import Node, NodeStatusHistory, utcnow
from minegnk.services import accounts, assignments, rates, status_history
from minegnk.sim import SimServer

log = logging.getLogger(__name__)

ADMIN_EMAIL = 'admin@example.com'
CUSTOMER_EMAIL = 'demo@example.com'
# Mainnet timing (15,391 blocks of ~6 s, an epoch a day) so that 30 settled epochs fill a 30-day chart and per-day
# figures look like a real host's; blocks advance in real time, so counters grow while you watch.
DEMO_EPOCH_LENGTH = 15_391
DEMO_SPEED = 1.0
HISTORY_DAYS = 30
# Demo exchange rates, entered as an admin would (no price feed is reachable offline).
DEMO_RATES = (('GNK', 'USD', '0.85'), ('USD', 'EUR', '0.92'))

# (scenario key, label, GPU type, GPU count, region): one node for every status the portal knows.
DEMO_NODES = (
    ('healthy', 'Frankfurt H100 #1', 'H100', 8, 'Frankfurt'),
    ('healthy_ramping', 'Amsterdam H100 #2', 'H100', 8, 'Amsterdam'),
    ('unclaimed_reward', 'Luxembourg H200', 'H200', 8, 'Luxembourg'),
    ('jailed', 'Paris A100', 'A100', 8, 'Paris'),
    ('offline', 'Warsaw A100', 'A100', 4, 'Warsaw'),
    ('unhealthy_missed', 'London H100 #3', 'H100', 8, 'London'),
    ('unhealthy_ml_failed', 'Stockholm B200', 'B200', 8, 'Stockholm'),
    ('inactive', 'Madrid H100 #4', 'H100', 4, 'Madrid'),
)


@dataclass
class Demo:
    sim: SimServer
    settings: Settings

    def seed(self) -> None:
        """Idempotent: accounts, the eight demo nodes and 30 days of status history for the timelines."""
        password = self.settings.demo_password
        scenarios = self.sim.sim.scenario_addresses()
        with session_scope() as db:
            admin, _ = accounts.ensure_account(db, ADMIN_EMAIL, password, role='admin', allow_demo_password=True)
            customer, _ = accounts.ensure_account(db, CUSTOMER_EMAIL, password, role='user', allow_demo_password=True)
            admin_id, customer_id = admin.id, customer.id
        for key, label, gpu, count, region in DEMO_NODES:
            with session_scope() as db:
                if assignments.open_assignment(db, scenarios[key]) is None:
                    assignments.assign_node(db, actor_id=admin_id, user_id=customer_id, address=scenarios[key],
                                            label=label, gpu_type=gpu, gpu_count=count, region=region,
                                            known_to_network=lambda _address: True)
        with session_scope() as db:
            if rates.current_rates(db).gnk_usd is None:
                for base, quote, rate in DEMO_RATES:
                    rates.set_manual_rate(db, admin_id, base, quote, rate, utcnow())
        seed_status_history(scenarios)
        print(f'\nMineGNK demo: http://{self.settings.host}:{self.settings.port}\n'
              f'  customer: {CUSTOMER_EMAIL} / {password}\n  admin:    {ADMIN_EMAIL} / {password}\n'
              f'  simulated network: {self.sim.base_url} (control API under /_sim/)\n', flush=True)

    def stop(self) -> None:
        self.sim.stop()


def start_demo(settings: Settings) -> Demo:
    sim = SimServer(participants=120, epoch_length=DEMO_EPOCH_LENGTH, speed=DEMO_SPEED, scripted=True,
                    history_epochs=60, seed=42).start()
    demo_dir = settings.data_dir / 'demo'
    demo_settings = settings.model_copy(update={
        'data_dir': demo_dir,
        'database_url': f'sqlite:///{(demo_dir / "minegnk-demo.sqlite3").resolve()}',
        'tracker_url': sim.tracker_url,
        'node_urls': ','.join(sim.node_urls),
        'scheduler_enabled': True,
        'refresh_seconds': 60,
    })
    return Demo(sim=sim, settings=demo_settings)


def seed_status_history(scenarios: dict[str, str], *, days: int = HISTORY_DAYS, step_minutes: int = 5) -> None:
    """Status points every 5 minutes for the last 30 days, so uptime timelines are drawn at once (demo data only)."""
    with session_scope() as db:
        nodes = {n.address: n.id for n in db.scalars(select(Node).where(Node.address.in_(list(scenarios.values()))))}
        if not nodes or db.scalar(select(func.count()).select_from(NodeStatusHistory)
                                  .where(NodeStatusHistory.node_id.in_(list(nodes.values())))):
            return
        now = utcnow()
        points = days * 24 * 60 // step_minutes
        rows = []
        for key, address in scenarios.items():
            rng = random.Random(f'{key}-history')
            steady = 'inactive' if key == 'inactive' else 'healthy'
            incidents = [(rng.randrange(points), rng.randrange(3, 40), rng.choice(['offline', 'unhealthy', 'jailed']))
                         for _ in range(rng.randrange(1, 4))]
            for i in range(points, 0, -1):
                status = next((kind for start, length, kind in incidents if start <= i < start + length), steady)
                rows.append({'node_id': nodes[address], 'observed_at': now - timedelta(minutes=i * step_minutes),
                             'status': status, 'reasons': [], 'source': 'demo'})
        status_history.append(db, rows)  # with the status changes the activity feed shows
