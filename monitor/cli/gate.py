"""`monitor gate`, `monitor ack create|list|revoke` and `monitor token create`."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitor.cli.app import EXIT_FINDING, EXIT_OK, EXIT_UNKNOWN, ConfigOption, ListFormat, app, one_line
from monitor.cli.common import new_table, print_table, store, when, write_json

if TYPE_CHECKING:
    from pathlib import Path


class GateFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    githubactions = "githubactions"


UrlOption = Annotated[str | None, typer.Option("--url", help="A running status API; without it the local database.")]
TokenOption = Annotated[str | None, typer.Option("--token", help="Bearer token (prefer --token-env).")]
TokenEnvOption = Annotated[str, typer.Option("--token-env", help="Variable holding the token.")]


def _token(token: str | None, token_env: str) -> str | None:
    return token or os.environ.get(token_env) or None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@app.command()
def gate(
    integration: Annotated[str, typer.Option("--integration", "-i", help="The integration (config `integrations`).")],
    environment: Annotated[str, typer.Option("--environment", "-e", help="The environment to deploy to.")],
    version: Annotated[str | None, typer.Option("--version", help="The version about to be deployed.")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    token_env: TokenEnvOption = "MONITOR_TOKEN",
    retry_while_unknown: Annotated[
        int, typer.Option("--retry-while-unknown", min=0, max=1000, help="Ask again this many times while unknown.")
    ] = 0,
    retry_interval: Annotated[
        float, typer.Option("--retry-interval", min=0.0, max=3600.0, help="Seconds between retries.")
    ] = 10.0,
    format: Annotated[GateFormat, typer.Option("--format", "-f", help="Output format.")] = GateFormat.text,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the decision, always exit 0 (also MONITOR_GATE_DRY_RUN=1): the break-glass switch."
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """May INTEGRATION be deployed to ENVIRONMENT now? Exit 0 pass/warn, 1 fail, 3 unknown or unreachable."""
    from monitor.errors import InputError, StoreError, UpstreamError
    from monitor.gate.render import render

    dry_run = dry_run or _truthy(os.environ.get("MONITOR_GATE_DRY_RUN"))
    secret = _token(token, token_env)
    attempt = 0
    while True:
        try:
            answer = _ask(config, url, secret, integration, environment, version)
            error = None
        except InputError:
            raise
        except (UpstreamError, StoreError) as exc:  # unreachable, 503, database down: the answer is unknown
            answer, error = None, one_line(str(exc))
        unknown = answer is None or answer.get("deployable") is None
        if not unknown or attempt >= retry_while_unknown:
            break
        attempt += 1
        sys.stderr.write(f"gate: unknown; asking again in {retry_interval:g}s ({attempt}/{retry_while_unknown})\n")
        time.sleep(retry_interval)
    if answer is not None:
        sys.stdout.write(render(answer, format.value))
    if error is not None:
        sys.stderr.write(f"error: {error}\n")
    code = (
        EXIT_UNKNOWN
        if answer is None
        else {True: EXIT_OK, False: EXIT_FINDING, None: EXIT_UNKNOWN}[answer["deployable"]]
    )
    if dry_run and code != EXIT_OK:
        sys.stderr.write(f"gate: dry run: would exit {code}; exiting 0\n")
        code = EXIT_OK
    raise typer.Exit(code)


def _ask(
    config: Path | None, url: str | None, token: str | None, integration: str, environment: str, version: str | None
) -> dict[str, Any]:
    if url:
        from monitor.gate.client import fetch_decision

        return fetch_decision(url=url, token=token, integration=integration, environment=environment, version=version)
    from monitor.gate import evaluate, record_decision
    from monitor.store.session import session_scope

    settings, engine = store(config)
    try:
        with session_scope(engine) as session:
            decision = evaluate(
                session=session, settings=settings, integration=integration, environment=environment, version=version
            )
            record_decision(session=session, decision=decision)
    finally:
        engine.dispose()
    return decision.to_json()


# -- monitor ack --------------------------------------------------------------------------------------------------

ack_app = typer.Typer(
    help="Waivers: acknowledge a change, announcement or failing operation until a date.", no_args_is_help=True
)
app.add_typer(ack_app, name="ack")


def parse_expiry(expires: str | None, duration: str | None, now: datetime) -> datetime:
    """`--expires 2026-12-31` (through the end of that UTC day) or an ISO time, or `--for 14d`; one is required."""
    from monitor.config import parse_duration
    from monitor.errors import InputError

    if (expires is None) == (duration is None):
        raise InputError("give exactly one of --expires DATE and --for DURATION: a waiver must expire")
    if duration is not None:
        try:
            return now + parse_duration(duration)
        except ValueError as exc:
            raise InputError(f"--for: {exc}") from exc
    assert expires is not None
    try:
        if len(expires.strip()) == 10:
            return datetime.combine(date.fromisoformat(expires.strip()), dtime.max, tzinfo=UTC)
        moment = datetime.fromisoformat(expires.strip())
    except ValueError as exc:
        raise InputError(f"--expires: {expires!r} is not a date (2026-12-31) or an ISO time") from exc
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


@ack_app.command("create")
def ack_create(
    reason: Annotated[str, typer.Option("--reason", help="Why it is acceptable for now.")],
    change: Annotated[str | None, typer.Option("--change", help="A change id or fingerprint.")] = None,
    announcement: Annotated[int | None, typer.Option("--announcement", help="An announcement (entry) id.")] = None,
    operation: Annotated[
        str | None, typer.Option("--operation", help="`<suite> METHOD /path` failing in a sandbox.")
    ] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="Last day (2026-12-31) or ISO time.")] = None,
    duration: Annotated[str | None, typer.Option("--for", help="How long from now (14d, 12h).")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Who acknowledges (default: $USER).")] = None,
    integration: Annotated[str | None, typer.Option("--integration", help="Only for this integration.")] = None,
    environment: Annotated[str | None, typer.Option("--environment", help="Only for this environment.")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    token_env: TokenEnvOption = "MONITOR_TOKEN",
    config: ConfigOption = None,
) -> None:
    """Create a waiver; it stops applying at its expiry. With --url through the API (an `admin` token)."""
    from monitor.errors import InputError
    from monitor.gate.waivers import create_waiver
    from monitor.store.models import utcnow
    from monitor.store.session import session_scope

    targets = [(k, v) for k, v in (("change", change), ("announcement", announcement), ("operation", operation)) if v]
    if len(targets) != 1:
        raise InputError("give exactly one of --change, --announcement and --operation")
    who = author or os.environ.get("USER") or ""
    if not who:
        raise InputError("--author is required (no $USER to default to)")
    now = utcnow()
    expires_at = parse_expiry(expires, duration, now)
    if url:
        from monitor.gate.client import call

        body = {"kind": targets[0][0], "target": str(targets[0][1]), "reason": reason, "author": who,
                "expires_at": expires_at.isoformat(), "integration": integration, "environment": environment}  # fmt: skip
        made = call("POST", url, "/api/v1/acks", token=_token(token, token_env), json=body)
        print(
            f"waiver {made['id']}: {made['kind']} {made['target']} until {made['expires_at'][:19].replace('T', ' ')} UTC"
        )
        return
    settings, engine = store(config)
    if integration and integration not in settings.integrations:
        raise InputError(f"unknown integration {integration!r}")
    with session_scope(engine) as session:
        waiver = create_waiver(
            session=session,
            kind=targets[0][0],
            target=str(targets[0][1]),
            reason=reason,
            author=who,
            expires_at=expires_at,
            integration=integration,
            environment=environment,
            now=now,
        )
    engine.dispose()
    print(f"waiver {waiver.id}: {waiver.kind} {waiver.target} until {when(waiver.expires_at)} UTC")


@ack_app.command("list")
def ack_list(
    all_: Annotated[bool, typer.Option("--all", help="Include expired and revoked waivers.")] = False,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    url: UrlOption = None,
    token: TokenOption = None,
    token_env: TokenEnvOption = "MONITOR_TOKEN",
    config: ConfigOption = None,
) -> None:
    """Waivers in force (or all of them)."""
    if url:
        from monitor.gate.client import call

        params = {"include_inactive": str(all_).lower(), "limit": "1000"}
        items = call("GET", url, "/api/v1/acks", token=_token(token, token_env), params=params)
    else:
        items = _local_waivers(config, all_)
    if format is ListFormat.json:
        write_json(items)
        return
    table = new_table("Id", "Kind", "Target", "Scope", "Reason", "Author", "Expires", "State")
    for w in items:
        scope = "/".join(x for x in (w["integration"], w["environment"]) if x) or "all"
        state = "active" if w["active"] else ("revoked" if w["revoked_at"] else "expired")
        table.add_row(
            str(w["id"]),
            w["kind"],
            w["target"],
            scope,
            w["reason"],
            w["author"],
            w["expires_at"][:19].replace("T", " "),
            state,
        )
    print_table(table)


def _local_waivers(config: Path | None, include_inactive: bool) -> list[dict[str, Any]]:
    from monitor.gate.waivers import is_active, list_waivers
    from monitor.store.models import utcnow
    from monitor.store.session import session_scope

    _, engine = store(config)
    now = utcnow()
    with session_scope(engine) as session:
        rows = list_waivers(session=session, include_inactive=include_inactive, now=now)
        items = [{**w.model_dump(mode="json"), "active": is_active(w, now)} for w in rows]
    engine.dispose()
    return items


@ack_app.command("revoke")
def ack_revoke(
    waiver_id: Annotated[int, typer.Argument(help="The waiver id (see `monitor ack list`).")],
    by: Annotated[
        str | None, typer.Option("--by", help="Who revokes (default: $USER; the token's name via --url).")
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    token_env: TokenEnvOption = "MONITOR_TOKEN",
    config: ConfigOption = None,
) -> None:
    """Revoke a waiver now (it stays in the audit trail)."""
    if url:
        from monitor.gate.client import call

        call("DELETE", url, f"/api/v1/acks/{waiver_id}", token=_token(token, token_env))
        print(f"waiver {waiver_id}: revoked")
        return
    from monitor.gate.waivers import revoke_waiver
    from monitor.store.session import session_scope

    _, engine = store(config)
    with session_scope(engine) as session:
        revoke_waiver(session=session, waiver_id=waiver_id, by=by or os.environ.get("USER") or "cli")
    engine.dispose()
    print(f"waiver {waiver_id}: revoked")


# -- monitor token ------------------------------------------------------------------------------------------------

token_app = typer.Typer(help="API tokens for the status API.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="What the token is for (ci, dashboard, ops).")],
    scopes: Annotated[str, typer.Option("--scopes", help="Comma-separated: read, gate, admin.")] = "read",
) -> None:
    """Print a new random token and the config line holding only its sha256 (the token is shown once)."""
    from monitor.errors import InputError
    from monitor.gate.tokens import SCOPES, new_token, token_hash

    chosen = [s.strip() for s in scopes.split(",") if s.strip()]
    bad = [s for s in chosen if s not in SCOPES]
    if not chosen or bad:
        raise InputError(f"--scopes: choose from {', '.join(SCOPES)} (got {scopes!r})")
    if not name.strip() or any(c in name for c in "{},:[]#\n"):
        raise InputError(f"--name: {name!r} must be a plain word such as ci")
    token = new_token()
    print(f"token: {token}")
    print("add under `api: tokens:` in the config (the token itself is not stored anywhere):")
    print(f"  - {{name: {name}, scopes: [{', '.join(chosen)}], sha256: {token_hash(token)}}}")
