"""Stored technical stale reasons become causes, and causes become plain words for customers (English, Russian)."""

from __future__ import annotations

import functools

import pytest

from minegnk import i18n
from minegnk.i18n.reasons import describe_stale
from minegnk.services.staleness import StaleCause, stale_causes

# The texts the refresh job stores (jobs/refresh.py joins 'source: reason' per failed upstream).
E2E_REASON = ('node_api: all 3 hosts failed (last: unusable answer (latest_epoch: expected an object, got NoneType)); '
              'tracker: timeout')


@pytest.mark.parametrize(('stored', 'causes'), [
    (E2E_REASON, [StaleCause('node_api', 'unusable'), StaleCause('tracker', 'timeout')]),
    ('node_api: all 2 hosts failed (last: connection failed); tracker: HTTP 502',
     [StaleCause('node_api', 'unreachable'), StaleCause('tracker', 'error_status')]),
    ('node_api: malformed payload (bad); tracker: data older than 10 minutes',
     [StaleCause('node_api', 'unusable'), StaleCause('tracker', 'old_data')]),
    ('tracker: request failed (InvalidURL)', [StaleCause('tracker', 'failed')]),
    ('data older than 10 minutes', [StaleCause(None, 'old_data')]),
    ('no data', [StaleCause(None, 'no_data')]), ('not refreshed yet', [StaleCause(None, 'no_data')]),
    (None, [StaleCause(None, 'no_data')]), ('', [StaleCause(None, 'no_data')]),
])
def test_stored_reasons_are_read_as_causes(stored, causes):
    assert stale_causes(stored) == causes


def words(language: str, stored: str | None, shown_from: str | None = None) -> str:
    return describe_stale(stale_causes(stored), functools.partial(i18n.translate, language), shown_from)


def test_customers_get_plain_words_without_the_technical_detail():
    text = words('en', E2E_REASON, '14:02')
    assert text == ("The network's data services are not answering (network nodes: unusable answers; "
                    'tracker: timed out). Showing data from 14:02.')
    russian = words('ru', E2E_REASON, '14:02')
    assert russian == ('Службы данных сети не отвечают (узлы сети: непригодные ответы; трекер: не ответил вовремя). '
                       'Показаны данные на 14:02.')
    for technical in ('node_api', 'latest_epoch', 'NoneType', 'hosts failed', 'timeout'):
        assert technical not in text and technical not in russian


def test_reasons_without_a_source_have_their_own_words():
    assert words('en', 'data older than 10 minutes') == 'No new data has arrived for more than 10 minutes.'
    assert words('en', None) == 'No fresh data has arrived yet.'
    assert words('ru', 'no data yet') == 'Свежие данные ещё не поступали.'
