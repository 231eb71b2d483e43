"""Why data is stale, as codes a page can put in plain words.

The refresh job stores one technical text per stale snapshot or node ("node_api: all 3 hosts failed (last: timeout);
tracker: HTTP 503"): the admin system page and the logs show it as it is. Customers get the causes this module reads
out of it: per upstream source, one kind of failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SOURCES = ('tracker', 'node_api')
# The stored texts this module reads back; the refresh job and the network status write them from here.
OLD_DATA = 'data older than 10 minutes'
NO_DATA = 'no data'
NOT_REFRESHED = 'not refreshed yet'
_NO_DATA = (NO_DATA, 'no data yet', NOT_REFRESHED)
_HOSTS_FAILED = re.compile(r'^all \d+ hosts failed \(last: (?P<last>.*)\)$')


@dataclass(frozen=True)
class StaleCause:
    source: str | None  # tracker | node_api | None (the data as a whole)
    kind: str  # timeout | unreachable | unusable | error_status | old_data | no_data | failed


def stale_causes(reason: str | None) -> list[StaleCause]:
    """The causes in a stored stale reason, in its order; an empty or unknown text is one 'no_data' cause."""
    text = (reason or '').strip()
    if not text or text in _NO_DATA:
        return [StaleCause(None, 'no_data')]
    if text == OLD_DATA:
        return [StaleCause(None, 'old_data')]
    causes = []
    for part in text.split('; '):
        source, sep, detail = part.partition(': ')
        if sep and source in SOURCES:
            causes.append(StaleCause(source, failure_kind(detail)))
        else:
            causes.append(StaleCause(None, failure_kind(part)))
    return causes


def failure_kind(detail: str) -> str:
    """One upstream error text (upstream.http / node_api / refresh wording) as a kind of failure."""
    detail = detail.strip()
    if match := _HOSTS_FAILED.match(detail):
        detail = match['last']
    if detail == 'timeout':
        return 'timeout'
    if detail in ('connection failed', 'connection broken'):
        return 'unreachable'
    if detail.startswith(('unusable answer', 'malformed', 'unexpected payload', 'empty response',
                          'response too large')):
        return 'unusable'
    if detail.startswith('HTTP '):
        return 'error_status'
    if detail == OLD_DATA:
        return 'old_data'
    if detail in _NO_DATA:
        return 'no_data'
    return 'failed'
