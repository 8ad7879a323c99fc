"""What each integration needs of the operations it uses: `uses` entries in the config and contracts/<name>.yaml."""

from __future__ import annotations

from monitor.config import Settings
from monitor.contracts import integration_usage
from monitor.engine.filters import normalise_operation_ref
from monitor.engine.limits import Need, parse_need


def integration_needs(settings: Settings, name: str) -> dict[str, dict[str, Need]]:
    """Source id -> operation ref (normalised: operationId or `METHOD /{}` key) -> the need declared for it.

    A usage file (contracts/<name>.yaml) names operations without their source, so its needs apply to each source
    the integration uses; the config's own entry for a source wins over the file's.
    """
    integration = settings.integrations[name]
    out: dict[str, dict[str, Need]] = {source_id: {} for source_id in integration.uses}
    usage = integration_usage(settings.contracts_dir, name)
    if usage is not None:
        for needs in out.values():
            needs.update(usage.needs)
    for source_id, entries in integration.use_entries.items():
        for ref, entry in entries.items():
            need = parse_need(entry)  # validated when the config was read
            if need is not None:
                out.setdefault(source_id, {})[normalise_operation_ref(ref)] = need
    return out


def strictest(a: Need | None, b: Need) -> Need:
    """Two integrations needing one operation: the larger rate and the larger burst (both must be met)."""
    if a is None:
        return b
    rate = max((r for r in (a.rate, b.rate) if r is not None), default=None)
    burst = max((x for x in (a.burst, b.burst) if x is not None), default=None)
    text = (
        a.text
        if a.rate == rate and a.burst == burst
        else b.text
        if b.rate == rate and b.burst == burst
        else (f"{a.text}; {b.text}")
    )
    return Need(rate, burst, text)
