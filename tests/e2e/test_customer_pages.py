"""A real Chromium against the portal run as `python main.py`: the dashboard draws its earnings chart with data,
node details switches tabs and draws the health timeline, and a phone-width dashboard has no horizontal scroll."""

from __future__ import annotations

from datetime import timedelta

import pytest
from customer_seed import PASSWORD, NodeSpec, earnings_rows, make_user, seed_network, seed_nodes

from minegnk.db import engine as db_engine
from minegnk.db.engine import session_scope
from minegnk.db.models import utcnow
from minegnk.services import rates as rate_service
from tests.e2e.conftest import log_in_page

pytestmark = pytest.mark.browser

CHART_DRAWN = '''(selector) => {
  const el = document.querySelector(selector);
  return !!(el && el.data && el.data.length > 0 && el.querySelector('.main-svg'));
}'''


@pytest.fixture
def seeded(portal, tmp_path) -> dict:
    """Customer data written into the running portal's database (the refresh job would fill the same tables)."""
    db_engine.init_database(f'sqlite:///{tmp_path / "portal" / "minegnk.sqlite3"}')
    now = utcnow()
    make_user('browser.customer@example.com', currency='USD')
    with session_scope() as db:
        from minegnk.db.models import User
        from sqlalchemy import select
        user_id = db.scalar(select(User.id).where(User.email == 'browser.customer@example.com'))
        seed_network(db, now)
        specs = [NodeSpec(f'rig-{i}', status, earnings=earnings_rows(10**12 * (i + 1), now, 30))
                 for i, status in enumerate(['healthy', 'unhealthy', 'jailed', 'healthy'])]
        history = [(now - timedelta(minutes=10 * k), 'offline' if 20 <= k < 26 else 'healthy') for k in range(144)]
        ids = seed_nodes(db, user_id, specs, now, history=history)
        rate_service.set_manual_rate(db, None, 'GNK', 'USD', '0.0123', now - timedelta(hours=1))
    db_engine.get_engine().dispose()
    return {'ids': ids}


def log_in(page, portal) -> None:
    log_in_page(page, portal.url, 'browser.customer@example.com', PASSWORD)


def test_dashboard_draws_the_earnings_chart(portal, browser, seeded, screenshot):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    errors: list[str] = []
    page.on('pageerror', lambda e: errors.append(str(e)))
    log_in(page, portal)
    page.wait_for_function(CHART_DRAWN, arg='.minegnk-earnings-chart', timeout=20_000)
    traces = page.evaluate("document.querySelector('.minegnk-earnings-chart').data.length")
    assert traces >= 2  # settled + the current-epoch estimate
    assert page.locator('.minegnk-earnings-chart .bars .point').count() > 0
    page.get_by_text('2 of 4 healthy').wait_for()
    page.get_by_text('Recent activity').wait_for()
    screenshot(page, 'customer-dashboard-desktop')
    assert not errors, errors
    context.close()


def test_node_details_switches_tabs_and_draws_the_timeline(portal, browser, seeded, screenshot):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    log_in(page, portal)
    address = next(iter(seeded['ids']))
    page.goto(f'{portal.url}/nodes/{address}')
    page.get_by_text(address).first.wait_for()
    page.get_by_role('tab', name='Metrics').click()
    page.get_by_text('Inferences this epoch').wait_for()
    page.get_by_role('tab', name='History').click()
    page.wait_for_function(CHART_DRAWN, arg='.minegnk-timeline-chart', timeout=20_000)
    names = page.evaluate("document.querySelector('.minegnk-timeline-chart').data.map(t => t.name)")
    assert set(names) == {'Healthy', 'Offline'}
    assert page.locator('.minegnk-timeline-chart .bars .point').count() >= 3
    assert '?tab=history' in page.url
    page.get_by_role('tab', name='Jobs').click()
    page.get_by_text('Recent jobs appear once the tracker reports them.').wait_for()
    page.get_by_role('tab', name='History').click()
    screenshot(page, 'customer-node-history')
    context.close()


def test_phone_width_dashboard_has_no_horizontal_scroll(portal, browser, seeded, screenshot):
    context = browser.new_context(viewport={'width': 375, 'height': 812}, is_mobile=True)
    page = context.new_page()
    log_in(page, portal)
    page.wait_for_function(CHART_DRAWN, arg='.minegnk-earnings-chart', timeout=20_000)
    page.get_by_text('Recent activity').wait_for()
    page.wait_for_timeout(500)
    screenshot(page, 'customer-dashboard-phone')
    assert page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')
    page.goto(f'{portal.url}/nodes')
    page.locator('.q-table').wait_for()
    screenshot(page, 'customer-nodes-phone')
    assert page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')  # the table scrolls inside
    context.close()
