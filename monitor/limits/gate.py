"""The gate's `rate-limit` reasons: a used operation's documented, announced or observed limit against its need.

Below the need fails (the reason names where the figure comes from); a documented decrease from the contract that
still meets the need warns. Reasons refer to the operation (`<platform> METHOD /path`), so operation waivers apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from monitor.config import Settings
from monitor.engine.limits import format_count, format_rate, per_day
from monitor.gate.usage import UsedOperations
from monitor.limits.table import Figure, LimitRow, limit_rows

if TYPE_CHECKING:
    from monitor.gate.decision import Reason


def rate_limit_reasons(
    *,
    session: Session,
    settings: Settings,
    integration: str,
    used: UsedOperations,
    contracts: dict[str, int | None] | None = None,
) -> tuple[list[Reason], set[tuple[str, str]]]:
    """The reasons, and the (source, operation key) pairs they cover (drift on their limits is not repeated)."""
    from monitor.gate.decision import Reason

    reasons: list[Reason] = []
    covered: set[tuple[str, str]] = set()
    rows = limit_rows(session=session, settings=settings, integration=integration, used=used, contracts=contracts,
                      only_needed=True)  # fmt: skip
    for row in rows:
        covered.add((row.source_id, row.key))
        ref = f"{row.source_id.split('/', 1)[0]} {row.operation}"
        link = f"/api/v1/limits?integration={integration}"
        short = [f for f in (row.documented, row.announced, row.observed) if f is not None and _below(row, f)]
        for figure in short:
            reasons.append(Reason("rate-limit", "fail", _sentence(row, figure, below=True), "operation", ref, link))
        if not short and row.decreased:
            assert row.documented is not None
            reasons.append(Reason("rate-limit", "warn", _sentence(row, row.documented, below=False), "operation",
                                  ref, link))  # fmt: skip
    return reasons, covered


def _below(row: LimitRow, figure: Figure) -> bool:
    need = row.need
    if need is None:
        return False
    slow = need.rate is not None and figure.rate is not None and figure.rate < need.rate
    small = need.burst is not None and figure.burst is not None and figure.burst < need.burst
    return slow or small


def _name(row: LimitRow) -> str:
    return f"{row.operation_id} ({row.operation})" if row.operation_id else row.operation


def _sentence(row: LimitRow, figure: Figure, *, below: bool) -> str:
    """`amazon-sp-api/orders-v0: getOrders (GET /orders/v0/orders): documented rate limit 1 -> 0.0167 requests per
    second (86,400 -> 1,443 calls a day) is below the need of 0.5/s (43,200 calls a day)`."""
    assert row.need is not None
    before = row.contract if figure.kind == "documented" and row.contract is not None else None
    what = f"{figure.kind} rate limit"
    if figure.rate is not None:
        if before is not None and before.rate is not None and before.rate != figure.rate:
            what += (f" {format_rate(before.rate)} -> {format_rate(figure.rate)} requests per second "
                     f"({format_count(per_day(before.rate))} -> {format_count(per_day(figure.rate))} calls a day)")  # fmt: skip
        else:
            what += (
                f" {format_rate(figure.rate)} requests per second ({format_count(per_day(figure.rate))} calls a day)"
            )
    if figure.burst is not None and row.need.burst is not None:  # the burst matters only to a burst need
        if before is not None and before.burst is not None and before.burst != figure.burst:
            what += f", burst {before.burst} -> {figure.burst}"
        else:
            what += f", burst {figure.burst}"
    origin = {"documented": "in the current upstream spec", "announced": f"in announcement {figure.ref}",
              "observed": f"in contract run {figure.ref}" + (f" ({figure.detail})" if figure.detail else "")}[figure.kind]  # fmt: skip
    need = row.need.text + (f" ({format_count(per_day(row.need.rate))} calls a day)" if row.need.rate else "")
    verdict = (
        f"is below the need of {need}" if below else f"decreased from the contract, still meeting the need of {need}"
    )
    return f"{row.source_id}: {_name(row)}: {what} {origin} {verdict}"
