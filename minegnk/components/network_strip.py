"""The network strip: epoch, phase, countdown to the next PoC, data freshness, and a banner when much of the
network fails at once (so a customer knows it is not only their node)."""

from __future__ import annotations

from datetime import timedelta, tzinfo
from decimal import Decimal

from nicegui import ui

from minegnk.components.amounts import number_text, percent_text
from minegnk.components.freshness import datetime_text, duration_text, freshness_stamp
from minegnk.components.locale import N_, _
from minegnk.db.models import utcnow
from minegnk.services.dashboard import NETWORK_INCIDENT_SHARE
from minegnk.services.nodes import NetworkStatus

PHASES = {
    'Inference': N_('Inference'),
    'PoCGenerate': N_('PoC: generating'),
    'PoCGenerateWindDown': N_('PoC: winding down'),
    'PoCValidate': N_('PoC: validating'),
    'PoCValidateWindDown': N_('PoC: validation winding down'),
}


def phase_label(phase: str | None) -> str:
    if not phase:
        return '—'
    return _(PHASES[phase]) if phase in PHASES else phase


def network_strip(network: NetworkStatus, tz: tzinfo | None = None) -> None:
    now = utcnow()
    with ui.card().classes('w-full p-3').props('flat bordered').mark('network-strip'):
        with ui.row().classes('w-full items-center gap-x-6 gap-y-1'):
            with ui.row().classes('items-center gap-1'):
                ui.icon('hub').classes('text-primary')
                ui.label(_('Epoch {epoch}', epoch=network.epoch_id if network.epoch_id is not None else '—')) \
                    .classes('font-semibold').mark('network-epoch')
            ui.label(_('Phase: {phase}', phase=phase_label(network.phase))).mark('network-phase')
            if network.next_poc_eta is not None:
                remaining = network.next_poc_eta - now
                if remaining.total_seconds() > 0:
                    text = _('next PoC in ~{duration}', duration=duration_text(remaining))
                else:
                    text = _('next PoC due now')
                label = ui.label(text).mark('network-poc')
                with label:
                    ui.tooltip(_('Estimated from the average block time ({seconds} s) at block {block}; PoC starts '
                                 'at block {poc} (≈ {time})',
                                 seconds=number_text(network.avg_block_seconds or Decimal(0)),
                                 block=network.block_height or '—', poc=network.next_poc_start_block or '—',
                                 time=datetime_text(network.next_poc_eta, tz)))
            ui.space()
            shown_from = now - timedelta(seconds=network.data_age_s) if network.data_age_s is not None else None
            freshness_stamp(network.taken_at, network.source, stale=network.stale, reason=network.stale_reason, tz=tz,
                            now=now, shown_from=shown_from)
    if network.failing_share is not None and network.failing_share >= NETWORK_INCIDENT_SHARE:
        with ui.card().classes('w-full p-3 bg-amber-100 dark:bg-amber-900 text-amber-900 dark:text-amber-100') \
                .props('flat bordered').mark('network-incident'):
            with ui.row().classes('items-center gap-2 no-wrap'):
                ui.icon('report', size='md')
                ui.label(_('{share} of the network\'s hosts are jailed or failing health checks right now. '
                           'If your nodes show problems too, the cause is probably network-wide, not your node.',
                           share=percent_text(network.failing_share, 0)))
