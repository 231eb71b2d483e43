"""``python main.py inspect ADDRESS``: the normalised view of any address, read live from the configured upstreams.

A support tool: the same clients and rules as the refresh job, nothing written to the database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from minegnk.config import Settings
from minegnk.jobs.refresh import TRACKER_MAX_AGE, Upstreams
from minegnk.services import node_cache, units
from minegnk.services.addresses import validate_address
from minegnk.services.status import NodeApiSnapshot, TrackerSnapshot, advance_liveness, build_node_view
from minegnk.upstream.http import UpstreamError
from minegnk.upstream.probe import probe_liveness
from minegnk.upstream.schemas import EpochPerformanceSummary, ParticipantDetailsResponse, SchemaError


async def _try(errors: dict[str, str], source: str, call):  # noqa: ANN001, ANN202
    try:
        return await call
    except (UpstreamError, SchemaError) as e:
        errors.setdefault(source, e.reason if isinstance(e, UpstreamError) else f'malformed payload ({e})')
        return None


async def inspect_address(settings: Settings, raw_address: str, *, epochs: int = 10) -> dict[str, Any]:
    address = validate_address(raw_address)
    upstreams = Upstreams.from_settings(settings)
    errors: dict[str, str] = {}
    try:
        now = datetime.now(UTC)
        epoch_info, tracker, chain, hardware = await asyncio.gather(
            _try(errors, 'node_api', upstreams.node_api.epochs_latest()),
            _try(errors, 'tracker', upstreams.tracker.inference_current()),
            _try(errors, 'node_api_participant', upstreams.node_api.participant(address)),
            _try(errors, 'node_api_hardware', upstreams.node_api.hardware_nodes(address)))
        hardware = tuple(hardware or ())
        tracker_fresh = tracker is not None and tracker.cached_at is not None and now - tracker.cached_at <= TRACKER_MAX_AGE
        view = None
        if tracker_fresh:
            member = tracker.participant(address)
            details = ParticipantDetailsResponse(member, (), None, (), hardware) if member and hardware else None
            url = member.inference_url if member else (chain.inference_url if chain else '')
            liveness = await _probe(upstreams, url, now)
            view = build_node_view(address, TrackerSnapshot(tracker, details, chain is not None if 'node_api_participant' not in errors else None),
                                   now=now, liveness=liveness, epoch=epoch_info, node_api_reachable='node_api' not in errors)
        else:
            participants = await _try(errors, 'node_api', upstreams.node_api.current_participants())
            if participants is not None:
                member = participants.participant(address)
                url = (member.inference_url if member else '') or (chain.inference_url if chain else '')
                liveness = await _probe(upstreams, url, now)
                registered = None if 'node_api_participant' in errors else chain is not None
                view = build_node_view(address, NodeApiSnapshot(participants, chain, now, registered, hardware),
                                       now=now, liveness=liveness, epoch=epoch_info)
        current = epoch_info.epoch_index if epoch_info else (view.epoch_id if view else None)
        summaries: list[EpochPerformanceSummary] = []
        if current:
            found = await asyncio.gather(*(_try(errors, 'node_api_summary', upstreams.node_api.epoch_performance_summary(e, address))
                                           for e in range(current - 1, max(0, current - 1 - epochs), -1)))
            summaries = [s for s in found if s is not None]
    finally:
        await upstreams.aclose()
    return _report(address, now, view, summaries, errors, epoch_info)


async def _probe(upstreams: Upstreams, url: str, now: datetime):  # noqa: ANN202
    if not url:
        return None
    result = await probe_liveness(upstreams.probe_client, url)
    return advance_liveness(None, result.ok, result.error, now)


def _report(address: str, now: datetime, view, summaries, errors, epoch_info) -> dict[str, Any]:  # noqa: ANN001
    data = node_cache.view_to_json(view) if view else {}
    earnings = [{'epoch': s.epoch_index, 'reward_ngonka': s.rewarded_coins, 'work_ngonka': s.earned_coins,
                 'total_ngonka': s.rewarded_coins + s.earned_coins, 'claimed': s.claimed,
                 'inference_count': s.inference_count, 'missed_requests': s.missed_requests} for s in summaries]
    return {
        'address': address,
        'checked_at': now.isoformat(),
        'reachable': view is not None,
        'source': data.get('source'),
        'epoch': data.get('epoch_id') or (epoch_info.epoch_index if epoch_info else None),
        'phase': epoch_info.phase.value if epoch_info and epoch_info.phase else None,
        'status': data.get('status', 'unknown'),
        'reasons': data.get('reasons', []),
        'notes': data.get('notes', []),
        'registered': data.get('registered'),
        'in_active_set': data.get('in_set'),
        'chain_status': data.get('chain_status'),
        'jail': {'is_jailed': data.get('is_jailed'), 'jailed_until': data.get('jailed_until'),
                 'ready_to_unjail': data.get('ready_to_unjail')},
        'weight': data.get('weight'),
        'network_weight': data.get('network_weight'),
        'weight_share': data.get('weight_share'),
        'models': data.get('models', []),
        'ml_nodes': data.get('ml_nodes', []),
        'inference_url': data.get('inference_url'),
        'counters': data.get('counters', {}),
        'missed_test': data.get('missed_test'),
        'invalidation_test': data.get('invalidation_test'),
        'confirmation_poc_ratio': data.get('confirmation_poc_ratio'),
        'liveness': data.get('liveness'),
        'earnings': earnings,
        'earnings_total_ngonka': sum(e['total_ngonka'] for e in earnings),
        'errors': errors,
    }


def render_text(report: dict[str, Any]) -> str:
    lines = [f"{report['address']}", f"  status        {report['status'].upper()}"
             + (f"  (source: {report['source']}, epoch {report['epoch']}, phase {report['phase']})" if report['reachable'] else '')]
    for reason in report['reasons']:
        params = ', '.join(f'{k}={v}' for k, v in reason.get('params', {}).items())
        lines.append(f"  reason        {reason['code']}{f' ({params})' if params else ''}")
    for note in report['notes']:
        lines.append(f"  note          {note['code']}")
    jail = report['jail']
    lines += [f"  registered    {report['registered']}   in active set: {report['in_active_set']}   "
              f"chain status: {report['chain_status']}",
              f"  jailed        {jail['is_jailed']}" + (f" until {jail['jailed_until']} (ready to unjail: {jail['ready_to_unjail']})"
                                                      if jail['is_jailed'] else ''),
              f"  weight        {report['weight']} of {report['network_weight']} (share {report['weight_share']})",
              f"  models        {', '.join(report['models']) or '-'}"]
    counters = report['counters']
    if counters:
        lines.append(f"  this epoch    {counters.get('inference_count', 0)} inferences, {counters.get('missed_requests', 0)} missed, "
                     f"{units.format_gnk(counters.get('earned_coins', 0), 9)} GNK work coins")
    if report['liveness']:
        live = report['liveness']
        lines.append(f"  liveness      {'ok' if live['last_ok'] else 'FAILED: ' + str(live['last_error'])}")
    for node in report['ml_nodes']:
        hardware = ', '.join(f"{h['count']}× {h['type']}" for h in node.get('hardware', [])) or 'hardware not reported'
        lines.append(f"  ML node       {node['node_id']}: {node.get('status') or '?'}, PoC weight {node.get('poc_weight')}, {hardware}")
    if report['earnings']:
        lines.append('  settled epochs (reward + work = total GNK, claimed):')
        for e in report['earnings']:
            lines.append(f"    {e['epoch']:>6}  {units.format_gnk(e['reward_ngonka'], 9):>24} + "
                         f"{units.format_gnk(e['work_ngonka'], 9):>18} = {units.format_gnk(e['total_ngonka'], 9):>24}  "
                         f"{'yes' if e['claimed'] else 'NO'}")
        lines.append(f"  total         {units.format_gnk(report['earnings_total_ngonka'], 9)} GNK over {len(report['earnings'])} epochs")
    for source, error in sorted(report['errors'].items()):
        lines.append(f"  upstream      {source}: {error}")
    return '\n'.join(lines)
