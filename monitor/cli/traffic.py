"""`monitor record`, `monitor contracts learn` and `monitor observe`: contracts from traffic, drift in real answers."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.app import EXIT_BAD_INPUT, EXIT_FINDING, ConfigOption, app
from monitor.cli.contracts import contracts_app

if TYPE_CHECKING:
    from monitor.traffic.har import Skipped


class ObserveFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"


HarOption = Annotated[
    list[Path],
    typer.Option(
        "--har",
        help="A capture: HAR (browsers, Postman, mitmproxy, Charles) or JSON Lines of HAR "
        "entries. Repeat it, or list more files after it.",
    ),
]
MoreFiles = Annotated[list[Path] | None, typer.Argument(help="More capture files.", show_default=False)]
PlatformOption = Annotated[
    str, typer.Option("--platform", help="The platform (shopee, lazada, tiktok-shop, amazon...).")
]
NameOption = Annotated[str, typer.Option("--name", help="The contract's name: contracts/<platform>/<name>.json.")]
IntegrationOption = Annotated[
    str | None, typer.Option("--integration", help="Also add the operations seen to contracts/<integration>.yaml.")
]


def _files(har: list[Path], more: list[Path] | None) -> list[Path]:
    files = [*har, *(more or [])]
    if not files:
        raise typer.BadParameter("give at least one capture with --har")
    return files


def _skipped_line(skipped: list[Skipped], notes: dict[str, int]) -> str:
    from collections import Counter

    reasons = Counter(s.reason for s in skipped)
    parts = [f"{n} x {r}" for r, n in reasons.most_common(3)] + [f"{n} x {r}" for r, n in
                                                                  Counter(notes).most_common(3)]  # fmt: skip
    return "; ".join(parts)


@contracts_app.command("learn")
def contracts_learn(
    har: HarOption,
    platform: PlatformOption,
    name: NameOption,
    more: MoreFiles = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="The API's base URL: its path is cut from every request path.")
    ] = None,
    integration: IntegrationOption = None,
    note: Annotated[
        str | None,
        typer.Option(
            "--note", help="Where the traffic came from, kept in x-monitor-learned (e.g. documented examples)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Learn an OpenAPI 3.1 contract from recorded traffic and pin it (a learned contract is widened, never narrowed)."""
    from monitor.cli.common import store
    from monitor.traffic.service import learn_contract

    settings, engine = store(config)
    try:
        outcome = learn_contract(settings=settings, engine=engine, paths=_files(har, more), platform=platform,
                                 name=name, base_url=base_url, by=os.environ.get("USER") or "cli",
                                 integration=integration, note=note)  # fmt: skip
    finally:
        engine.dispose()
    stats = outcome.learned.stats
    where = str(outcome.path) if outcome.path else "the database only (contracts/ is not writable)"
    verb = "learned" if outcome.created else "widened"
    sys.stdout.write(f"{outcome.source_id}: {verb} from {stats.exchanges} exchange(s), {len(outcome.operations)} "
                     f"operation(s); pinned as snapshot {outcome.snapshot_id} in {where}\n")  # fmt: skip
    for label in outcome.operations:
        sys.stdout.write(f"  {label}\n")
    for line in outcome.widened:
        sys.stdout.write(f"  widened: {line}\n")
    if not outcome.created and not outcome.widened:
        sys.stdout.write("  nothing new: the contract already covers this traffic\n")
    if stats.skipped or stats.notes:
        sys.stderr.write(f"skipped: {_skipped_line(stats.skipped, dict(stats.notes))}\n")
    if outcome.usage_file:
        sys.stdout.write(f"usage written to {outcome.usage_file}\n")


@app.command("observe")
def observe_command(
    har: HarOption,
    platform: PlatformOption,
    name: NameOption,
    more: MoreFiles = None,
    format: Annotated[ObserveFormat, typer.Option("--format", "-f", help="Output format.")] = ObserveFormat.text,
    integration: IntegrationOption = None,
    store_findings: Annotated[
        bool, typer.Option("--store/--no-store", help="Keep the findings as observed changes (gate, alerts).")
    ] = True,
    config: ConfigOption = None,
) -> None:
    """Check recorded answers against a contract (learned or published); exit 1 on a breaking finding."""
    from monitor.cli.common import store
    from monitor.engine.render import RENDERERS
    from monitor.errors import CaptureError
    from monitor.traffic.har import read_captures
    from monitor.traffic.service import contract_spec, file_hash, limits_of, masking_of, observe_capture

    if store_findings:
        settings, engine = store(config)
    else:  # no database at all: the contract file is enough
        from monitor.config import load_settings

        settings, engine = load_settings(config), None
    files = _files(har, more)
    source_id = f"{platform}/{name}"
    limits = limits_of(settings)
    try:
        spec, contract_id = contract_spec(settings, engine, source_id)
        digest = None
        if store_findings:
            import hashlib

            digest = hashlib.sha256(
                "".join(file_hash(f, limits.max_file_bytes * 4) for f in files).encode()
            ).hexdigest()
        outcome = observe_capture(settings=settings, engine=engine, source_id=source_id,
                                  items=read_captures(files, masking=masking_of(settings), limits=limits),
                                  origin="cli", name=", ".join(f.name for f in files), content_hash=digest,
                                  integration=integration, spec=spec, contract_id=contract_id)  # fmt: skip
    except OSError as exc:
        raise CaptureError(f"cannot read a capture: {exc.strerror or exc}") from exc
    finally:
        if engine is not None:
            engine.dispose()
    observation = outcome.observation
    sys.stdout.write(RENDERERS[format.value](observation.result))
    if observation.skipped or observation.notes:
        sys.stderr.write(f"skipped: {_skipped_line(observation.skipped, observation.notes)}\n")
    if store_findings and outcome.recorded is None:
        sys.stderr.write("these captures were observed before: findings not counted again\n")
    if outcome.usage_file:
        sys.stderr.write(f"usage written to {outcome.usage_file}\n")
    if observation.exchanges == 0:
        sys.stderr.write("error: no usable exchange in the captures\n")
        raise typer.Exit(EXIT_BAD_INPUT)
    if observation.breaking:
        raise typer.Exit(EXIT_FINDING)


@app.command("record")
def record_command(
    upstream: Annotated[str, typer.Option("--upstream", help="The API to forward to (http or https URL).")],
    port: Annotated[int, typer.Option("--port", help="Local port to listen on (0: any free port).")] = 8900,
    out: Annotated[
        Path, typer.Option("--out", help="The capture to append to (.har, or .jsonl for JSON Lines).")
    ] = Path("traffic.har"),
    host: Annotated[str, typer.Option("--host", help="Local address to listen on.")] = "127.0.0.1",
    mask_field: Annotated[
        list[str] | None, typer.Option("--mask-field", help="A personal field to mask, by JSON path ($..BuyerName).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """A recording reverse proxy: forwards every request to --upstream and appends the masked exchange to --out."""
    from monitor.config import load_settings
    from monitor.traffic.masking import Masking
    from monitor.traffic.record import serve
    from monitor.traffic.service import limits_of, masking_of

    settings = load_settings(config)
    masking = masking_of(settings)
    if mask_field:
        masking = Masking(fields=(*masking.fields, *Masking.from_paths(mask_field).fields))
    serve(upstream=upstream, host=host, port=port, out=out, masking=masking, limits=limits_of(settings),
          announce=lambda url: sys.stderr.write(f"recording {url} -> {upstream} into {out} (Ctrl-C stops)\n"))  # fmt: skip
