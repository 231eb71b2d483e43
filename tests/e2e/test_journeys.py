"""The five end-to-end journeys of issue 7 in headless Chromium, each against its own `python main.py` (PostgreSQL,
scheduler on) reading a real simulator and mailing through a loopback SMTP server (tests/e2e/journey_setup.py).

Every page visited is saved as screenshots/journey-N-*.png for a person to look at.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.journey_setup import (ADMIN_EMAIL, PASSWORD, CYCLE_DEADLINE, Customer, Journey, customer,  # noqa: F401
                                     journey)

pytestmark = pytest.mark.browser

CYCLE_MS = CYCLE_DEADLINE * 1000
NOT_RELOADED = 'window.__journeyMark === 1'  # set once on an open page; a reload or navigation would clear it
CHART_DRAWN = '''(selector) => {
  const el = document.querySelector(selector);
  return !!(el && el.data && el.data.length > 0 && el.querySelector('.main-svg .bars .point'));
}'''


def mark_open_page(page) -> None:  # noqa: ANN001
    page.evaluate('window.__journeyMark = 1')


def test_journey_1_newcomer_request_to_nodes_on_the_open_dashboard(journey: Journey, browser):
    email = 'newcomer@example.com'
    addresses = journey.healthy_addresses(2)

    # A newcomer registers and lands on an empty dashboard that explains what to do.
    home = browser.new_context(viewport={'width': 1280, 'height': 900})
    home.set_default_timeout(30_000)
    page = home.new_page()
    page.goto(f'{journey.url}/register')
    page.get_by_label('Email').fill(email)
    page.get_by_label('Password', exact=True).fill(PASSWORD)
    page.get_by_label('Repeat password').fill(PASSWORD)
    journey.shot(page, 'journey-1-01-register')
    page.get_by_role('button', name='Create account').click()
    page.wait_for_url(f'{journey.url}/')
    page.get_by_text('Welcome to MineGNK').wait_for()
    journey.shot(page, 'journey-1-02-empty-dashboard')

    # ... and asks for two H100s.
    page.get_by_role('button', name='Request a node').click()
    page.wait_for_url(f'{journey.url}/requests/new')
    page.get_by_label('GPU type').click()
    page.get_by_role('option', name=re.compile('NVIDIA H100')).click()
    page.get_by_label('Number of GPUs').fill('2')
    page.get_by_label('Comments (optional)').fill('Two H100 in Europe, please.')
    journey.shot(page, 'journey-1-03-request-form')
    page.get_by_role('button', name='Submit request').click()
    confirmation = page.get_by_text(re.compile(r'Request #\d+ has been submitted\.'))
    confirmation.wait_for()
    request_id = int(re.search(r'#(\d+)', confirmation.inner_text()).group(1))
    journey.shot(page, 'journey-1-04-request-submitted')

    # The dashboard stays open from here on; everything below must arrive on it without a reload.
    page.goto(f'{journey.url}/')
    page.get_by_text(f'Request #{request_id} created (pending)').wait_for()
    mark_open_page(page)

    # Support sees the request in the queue and starts work on it.
    admin = journey.log_in(browser, ADMIN_EMAIL)
    admin.goto(f'{journey.url}/admin/requests')
    card = admin.locator('.q-card', has_text=f'Request #{request_id} · 2 × H100')
    card.wait_for()
    assert email in card.inner_text() and 'Two H100 in Europe, please.' in card.inner_text()
    journey.shot(admin, 'journey-1-05-admin-queue')
    card.get_by_role('button', name='Start work').click()
    card.get_by_text('In progress', exact=True).wait_for()
    page.get_by_text(f'Request #{request_id}: pending → in progress').wait_for()

    # Support assigns two of the network's nodes to the customer, straight from the request.
    card.get_by_role('button', name='Assign nodes to this customer').click()
    admin.wait_for_url(re.compile(r'/admin/nodes/assign\?user_id=\d+'))
    bulk = admin.locator('.q-card', has_text='Many nodes')
    assert bulk.get_by_label('Customer').input_value() == email  # already chosen
    bulk.get_by_label('Addresses').fill('\n'.join(addresses))
    bulk.get_by_role('button', name='Assign all').click()
    bulk.get_by_text('2 assigned, 0 not assigned.').wait_for()
    journey.shot(admin, 'journey-1-06-admin-assigned')

    # ... and completes the request.
    admin.goto(f'{journey.url}/admin/requests')
    card = admin.locator('.q-card', has_text=f'Request #{request_id} · 2 × H100')
    card.get_by_role('button', name='Mark completed').click()
    admin.locator('.q-notification', has_text=f'Request #{request_id}: Completed').wait_for()
    card.wait_for(state='detached')  # the queue shows open requests only
    journey.shot(admin, 'journey-1-07-admin-completed')

    # The customer's open dashboard now shows both nodes with their status, and the request's progress.
    page.get_by_text('2 of 2 healthy').wait_for(timeout=CYCLE_MS)
    page.get_by_text(f'Request #{request_id}: in progress → completed').wait_for()
    for address in addresses:  # unlabelled nodes are named by a shortened address, linking to their page
        page.locator(f'a[href="/nodes/{address}"]').first.wait_for()
    open_requests = page.locator('.q-card', has_text='Open requests')
    assert re.search(r'Open requests\s*0', open_requests.inner_text())
    page.wait_for_function(CHART_DRAWN, arg='.minegnk-earnings-chart')  # drawn in place, with bars
    assert page.evaluate(NOT_RELOADED), 'the dashboard was reloaded'
    journey.shot(page, 'journey-1-08-dashboard-with-nodes')

    # The request page tells the same story.
    page.goto(f'{journey.url}/requests')
    page.locator('.q-card', has_text=f'Request #{request_id}').get_by_text('Completed', exact=True).wait_for()
    journey.shot(page, 'journey-1-09-my-requests')
    home.close()
    admin.context.close()
