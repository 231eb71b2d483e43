"""Status reasons and notes (codes with parameters from services.status) in plain words, for pages and messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minegnk.services.staleness import StaleCause


def describe_reason(reason: dict[str, Any], _: Callable[..., str], number: Callable[[Any], str],
                    when: Callable[[str | None], str]) -> str:
    """One reason (or note) from services.status in plain words.

    ``_`` translates into the reader's language, ``number`` formats a number and ``when`` an ISO time (or None) for
    the reader; pages and notifications pass their own, so both say exactly the same thing.
    """
    code = reason.get('code', '')
    p = reason.get('params') or {}
    if code == 'missed_test_failed':
        return _('missed {missed} of {total} requests this epoch; the network zeroes rewards above the allowed '
                 'miss count ({critical})', missed=number(p.get('missed')), total=number(p.get('total')),
                 critical=number(p.get('critical')))
    if code == 'invalidation_test_failed':
        return _('{invalidated} of {total} validated inferences were invalidated this epoch, more than the allowed '
                 '{critical}', invalidated=number(p.get('invalidated')), total=number(p.get('total')),
                 critical=number(p.get('critical')))
    if code == 'jailed':
        until = when(p.get('jailed_until')) if p.get('jailed_until') else _('an unknown time')
        if p.get('cause') == 'confirmation_poc':
            return _('jailed until {until} after a failed confirmation PoC; this epoch\'s reward is forfeited',
                     until=until)
        return _('jailed by the chain until {until} (missed too many blocks); most rewards keep flowing',
                 until=until)
    if code == 'unjail_tx_needed':
        return _('the jail time is over: the host must send an unjail transaction')
    if code == 'probe_failed':
        return _('did not answer {count} health checks in a row (last error: {error})',
                 count=number(p.get('consecutive_failures')), error=p.get('error') or _('none reported'))
    if code == 'probe_failed_once':
        return _('one health check failed (last error: {error}); one more makes it offline',
                 error=p.get('error') or _('none reported'))
    if code == 'chain_status_bad':
        return _('the chain reports the participant as {status}', status=str(p.get('status') or '?'))
    if code == 'low_confirmation_ratio':
        return _('only {ratio} of its weight was confirmed in the confirmation PoC (needs {threshold})',
                 ratio=number(p.get('ratio')), threshold=number(p.get('threshold')))
    if code == 'consensus_key_mismatch':
        return _('its consensus key does not match the one registered on the chain')
    if code == 'ml_node_down':
        return _('ML node {node} is {status}', node=str(p.get('node_id') or '?'), status=str(p.get('status') or '?'))
    if code == 'not_in_active_set':
        return _('not in this epoch\'s active set (missed PoC or not joined yet); it earns nothing this epoch')
    if code == 'not_registered':
        return _('the chain does not know this address; check that it is correct')
    if code == 'no_fresh_data':
        return _('no fresh data from the tracker or the network nodes')
    if code == 'membership_unknown':
        return _('could not tell whether it is in this epoch\'s active set')
    if code == 'jail_state_unknown':
        return _('jail state not known yet')
    if code == 'health_unknown':
        return _('not health-checked yet')
    if code == 'chain_status_unknown':
        return _('chain status not known')
    if code == 'ramping':
        return _('ramping up (normal for new or lightly loaded hosts)')
    if code == 'idle_zero_weight':
        return _('in the active set with zero weight (idle)')
    if code == 'poc_phase':
        return _('proof-of-compute phase: inference counters pause')
    if code == 'no_inferences':
        return _('no inferences for {blocks} blocks of the inference phase', blocks=number(p.get('blocks')))
    if code == 'too_few_requests':
        return _('too few requests this epoch to judge ({total}; at least {minimum} needed)',
                 total=number(p.get('total')), minimum=number(p.get('minimum')))
    return _('other reason: {code}', code=str(code))


def describe_stale(causes: list[StaleCause], _: Callable[..., str], shown_from: str | None = None) -> str:
    """Why data is stale (services.staleness causes) in plain words for customers, with the time of the data shown
    (already formatted for the reader) when there is one."""
    sourced = [c for c in causes if c.source is not None]
    if sourced:
        details = '; '.join(f'{_source_name(c.source, _)}: {_failure_words(c.kind, _)}' for c in sourced)
        text = _('The network\'s data services are not answering ({details}).', details=details)
    elif any(c.kind == 'old_data' for c in causes):
        text = _('No new data has arrived for more than 10 minutes.')
    elif any(c.kind == 'no_data' for c in causes):
        text = _('No fresh data has arrived yet.')
    else:
        text = _('Fresh data could not be fetched.')
    if shown_from:
        text = _('{reason} Showing data from {time}.', reason=text, time=shown_from)
    return text


def _source_name(source: str | None, _: Callable[..., str]) -> str:
    return _('tracker') if source == 'tracker' else _('network nodes')


def _failure_words(kind: str, _: Callable[..., str]) -> str:
    if kind == 'timeout':
        return _('timed out')
    if kind == 'unreachable':
        return _('not reachable')
    if kind == 'unusable':
        return _('unusable answers')
    if kind == 'error_status':
        return _('answering with errors')
    if kind == 'old_data':
        return _('data more than 10 minutes old')
    if kind == 'no_data':
        return _('no data')
    return _('failed')
