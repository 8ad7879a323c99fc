"""Traffic in the service: learn and pin a contract, observe captures into Change rows, the drop folder, usage files."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.alerts.hooks import alert_changes
from monitor.config import ObserveSource, Settings
from monitor.contracts import contract_file, pin
from monitor.engine import EngineError, Spec, load_spec_bytes
from monitor.engine.filters import normalise_operation_ref
from monitor.errors import CaptureError, InputError, UsageFileError
from monitor.redact import error_line, redact_url
from monitor.store import queries
from monitor.store.models import ObservedCapture, Source, SpecSnapshot, utcnow
from monitor.store.session import session_scope
from monitor.traffic.har import JSON_LINES_SUFFIXES, Exchange, Limits, Skipped, read_captures
from monitor.traffic.learn import Learned, learn
from monitor.traffic.masking import Masking
from monitor.traffic.observe import Observation, observe
from monitor.traffic.records import record_observed
from monitor.traffic.widen import widen

log = logging.getLogger(__name__)

CAPTURE_SUFFIXES = (".har", *JSON_LINES_SUFFIXES)
MAX_USAGE_FIELDS = 300  # per operation in a usage file: the leaves a team would list by hand, not every array cell


def masking_of(settings: Settings) -> Masking:
    try:
        return Masking.from_paths(settings.traffic.mask_fields)
    except CaptureError as exc:
        raise InputError(f"traffic.mask_fields: {exc}") from exc


def limits_of(settings: Settings) -> Limits:
    return Limits(max_body_bytes=settings.traffic.max_body_bytes)


def _split(source_id: str) -> tuple[str, str]:
    platform, _, name = source_id.partition("/")
    if not platform or not name or "/" in name or name.startswith("."):
        raise InputError(f"{source_id!r} is not platform/name")
    return platform, name


def ensure_traffic_source(session: Session, settings: Settings, source_id: str, base_url: str | None) -> Source:
    """The source row a learned contract hangs on: a configured spec source's own, else a `traffic` source."""
    row = session.get(Source, source_id)
    if row is not None:
        return row
    platform, name = _split(source_id)
    url = redact_url(base_url) if base_url else f"traffic:{source_id}"
    return queries.ensure_source(session=session, source_id=source_id, platform=platform, name=name, kind="traffic",
                                 url=url[:2000])  # fmt: skip


def current_document(settings: Settings, engine: Engine, source_id: str) -> tuple[dict[str, Any] | None, str]:
    """The contract as a parsed document (the committed file, else the stored contract), and where it came from."""
    path = contract_file(settings.contracts_dir, source_id)
    if path is not None:
        return _parse(path.read_bytes(), str(path)), str(path)
    with session_scope(engine) as session:
        contract = queries.get_contract(session=session, source_id=source_id)
        snapshot = session.get(SpecSnapshot, contract.snapshot_id) if contract else None
        if snapshot is None:
            return None, ""
        return _parse(queries.snapshot_body(snapshot), f"stored contract of {source_id}"), "the stored contract"


def _parse(body: bytes, where: str) -> dict[str, Any]:
    try:
        document = orjson.loads(body) if body.lstrip()[:1] == b"{" else yaml.safe_load(body)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise UsageFileError(f"{where}: not a readable contract ({type(exc).__name__})") from exc
    if not isinstance(document, dict):
        raise UsageFileError(f"{where}: not a readable contract")
    return document


@dataclass
class LearnOutcome:
    source_id: str
    learned: Learned
    path: Path | None
    snapshot_id: int
    operations: list[str]  # labels of the contract's operations
    widened: list[str] = field(default_factory=list)
    created: bool = True  # a new contract, not a widened one
    usage_file: Path | None = None


def learn_contract(
    *, settings: Settings, engine: Engine, paths: list[Path], platform: str, name: str, base_url: str | None,
    by: str, integration: str | None = None, now: datetime | None = None, note: str | None = None,
) -> LearnOutcome:  # fmt: skip
    """Learn `paths` into the contract `<platform>/<name>` (new, or the learned one widened) and pin it."""
    source_id = f"{platform}/{name}"
    _split(source_id)
    now = now or utcnow()
    masking, limits = masking_of(settings), limits_of(settings)
    learned = learn(lambda: read_captures(paths, masking=masking, limits=limits),
                    platform=platform, name=name, base_url=base_url, sources=[p.name for p in paths], now=now,
                    note=note)  # fmt: skip
    if learned.stats.exchanges == 0:
        reasons = "; ".join(f"{n} x {r}" for r, n in learned.stats.skipped_reasons.most_common(3)) or "no entries"
        raise CaptureError(f"no usable exchange in {', '.join(p.name for p in paths)} ({reasons})")
    existing, origin = current_document(settings, engine, source_id)
    document, widened, created = learned.document, [], True
    if existing is not None:
        if "x-monitor-learned" not in existing:
            raise InputError(f"{source_id}: {origin} is a published contract, not a learned one: learning would "
                             "replace it; choose another --name or remove it first")  # fmt: skip
        document, widened = widen(existing, learned.document)
        created = False
    body = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    try:
        spec = load_spec_bytes(body, f"contracts/{source_id}.json")
    except EngineError as exc:  # our own output must load; if it does not, nothing is pinned
        raise InputError(f"{source_id}: the learned contract does not load: {exc}") from exc
    with session_scope(engine) as session:
        snapshot = _learned_snapshot(session, settings, source_id, base_url, spec, body, now)
        reason = f"learned from {learned.stats.exchanges} exchange(s) in {', '.join(p.name for p in paths)}"[:2000]
        pin(session=session, settings=settings, source_id=source_id, snapshot=snapshot, by=by, reason=reason,
            action="pin" if created else "accept", now=now)  # fmt: skip
        queries.record_success(session=session, source_id=source_id, now=now, not_modified=False)
        snapshot_id = snapshot.id or 0
    outcome = LearnOutcome(source_id, learned, contract_file(settings.contracts_dir, source_id), snapshot_id,
                           sorted(op.label for op in spec.operations.values()), widened, created)  # fmt: skip
    if integration:
        seen = {op.label: _response_fields(op) for op in spec.operations.values()
                if op.extensions.get("x-monitor-samples")}  # fmt: skip
        outcome.usage_file = update_usage_file(settings.contracts_dir, integration, seen)
    return outcome


def _learned_snapshot(session: Session, settings: Settings, source_id: str, base_url: str | None, spec: Spec,
                      body: bytes, now: datetime) -> SpecSnapshot:  # fmt: skip
    """The stored version of a learned contract (its traffic source created first), stored once per content."""
    ensure_traffic_source(session, settings, source_id, base_url)
    session.flush()
    digest = queries.content_hash(spec.root)
    snapshot = queries.find_snapshot(session=session, source_id=source_id, digest=digest)
    if snapshot is None:
        snapshot = queries.add_snapshot(session=session, source_id=source_id, digest=digest, body=body,
                                        fmt=spec.format, title=spec.title, version=spec.version, now=now)  # fmt: skip
    return snapshot


def _response_fields(op: Any) -> set[str]:
    """The property paths of an operation's learned 2xx answers (the fields the integration was seen to get)."""
    found: set[str] = set()

    def walk(schema: Any, prefix: str, depth: int) -> None:
        if not isinstance(schema, dict) or depth > 32:
            return
        for name, sub in (schema.get("properties") or {}).items():
            path = f"{prefix}.{name}" if prefix else name
            found.add(path)
            walk(sub, path, depth + 1)
        walk(schema.get("items"), prefix, depth + 1)
        for alternative in schema.get("anyOf") or []:
            walk(alternative, prefix, depth + 1)

    for status, response in op.responses.items():
        if status.startswith("2"):
            for schema in response.content.values():
                walk(schema, "", 0)
    return found


def sync_learned_contract_files(*, settings: Settings, engine: Engine, now: datetime | None = None) -> list[str]:
    """Adopt committed contract files of observe sources that have no spec source (a learned contract edited and
    committed, then deployed): the file becomes the stored contract, as a spec source's file does."""
    now = now or utcnow()
    spec_ids = {f"{p}/{n}" for p, n, _ in settings.spec_sources()}
    moved = []
    for platform, name, _source in settings.observe_sources():
        source_id = f"{platform}/{name}"
        path = contract_file(settings.contracts_dir, source_id)
        if source_id in spec_ids or path is None:
            continue
        body = path.read_bytes()
        spec = load_spec_bytes(body, str(path))
        with session_scope(engine) as session:
            snapshot = _learned_snapshot(session, settings, source_id, None, spec, body, now)
            contract = queries.get_contract(session=session, source_id=source_id)
            if contract is None or contract.snapshot_id != snapshot.id:
                queries.set_contract(session=session, source_id=source_id, snapshot_id=snapshot.id or 0,
                                     by=f"file {path}", reason="contract file", action="pin", now=now)  # fmt: skip
                moved.append(source_id)
    return moved


def contract_spec(settings: Settings, engine: Engine | None, source_id: str) -> tuple[Spec, int | None]:
    """The contract to observe against (the committed file, else the stored contract) and its snapshot id.

    Without an engine only the committed file is read (`monitor observe --no-store` in a pipeline with no store)."""
    path = contract_file(settings.contracts_dir, source_id)
    if engine is None:
        if path is None:
            raise InputError(f"{source_id}: no contract file in {settings.contracts_dir} (and no store to look in)")
        return load_spec_bytes(path.read_bytes(), str(path)), None
    with session_scope(engine) as session:
        contract = queries.get_contract(session=session, source_id=source_id)
        snapshot_id = contract.snapshot_id if contract else None
        body = None
        if path is None and contract is not None:
            snapshot = session.get(SpecSnapshot, contract.snapshot_id)
            body = queries.snapshot_body(snapshot) if snapshot else None
    if path is not None:
        return load_spec_bytes(path.read_bytes(), str(path)), snapshot_id
    if body is None:
        raise InputError(f"{source_id}: no contract yet: learn one (`monitor contracts learn`) or pin a spec")
    return load_spec_bytes(body, f"contract of {source_id}"), snapshot_id


@dataclass
class ObserveOutcome:
    observation: Observation
    recorded: dict[str, int] | None = None  # None: not stored (the CLI without a store, or seen before)
    usage_file: Path | None = None


def observe_capture(
    *, settings: Settings, engine: Engine | None, source_id: str, items: Iterable[Exchange | Skipped], origin: str,
    name: str, content_hash: str | None, confirm_after: int = 1, integration: str | None = None,
    now: datetime | None = None, spec: Spec | None = None, contract_id: int | None = None,
) -> ObserveOutcome:  # fmt: skip
    """Observe one capture against the contract; with an engine, store the findings as Change rows (once per
    `content_hash`) with their alerts, and count the observation as a successful look at the source."""
    now = now or utcnow()
    if spec is None:
        if engine is None:
            raise InputError(f"{source_id}: no contract given")
        spec, contract_id = contract_spec(settings, engine, source_id)
    observation = observe(spec, items, source=name)
    outcome = ObserveOutcome(observation)
    if engine is not None:
        changes = [c.to_dict() for c in observation.result.changes]
        with session_scope(engine) as session:
            if content_hash is not None and session.exec(
                select(ObservedCapture.id).where(ObservedCapture.source_id == source_id,
                                                 ObservedCapture.content_hash == content_hash)
            ).first() is not None:  # fmt: skip
                return outcome
            ensure_traffic_source(session, settings, source_id, None)
            session.flush()
            outcome.recorded = record_observed(session=session, source_id=source_id, changes=changes,
                                               exercised=observation.matched, contract_id=contract_id, now=now,
                                               confirm_after=confirm_after)  # fmt: skip
            summary = observation.result.summary
            session.add(ObservedCapture(source_id=source_id, origin=origin, name=name[:500],
                                        content_hash=content_hash or hashlib.sha256(f"{name}{now}".encode()).hexdigest(),
                                        exchanges=observation.exchanges, skipped=observation.skipped_count,
                                        findings=summary, observed_at=now))  # fmt: skip
            queries.record_success(session=session, source_id=source_id, now=now, not_modified=False)
            alert_changes(session=session, source_id=source_id, now=now)  # the outbox, in the same transaction
    if integration:
        outcome.usage_file = update_usage_file(settings.contracts_dir, integration,
                                               {label: observation.fields.get(label, set())
                                                for label in observation.matched})  # fmt: skip
    return outcome


def file_hash(path: Path, limit: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        read = 0
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            read += len(chunk)
            if read > limit:
                break
    return digest.hexdigest()


def observe_folder(*, settings: Settings, engine: Engine, source_id: str, source: ObserveSource,
                   now: datetime | None = None) -> dict[str, int]:  # fmt: skip
    """Observe every capture dropped in the source's folder that was not observed before; one bad file is recorded
    with its reason and skipped, the others go on. Returns counts for the job run."""
    now = now or utcnow()
    counts = {"files": 0, "exchanges": 0, "errors": 0, "breaking": 0}
    folder = source.folder
    if folder is None:
        return counts
    if not folder.is_dir():
        raise InputError(f"{source_id}: observe folder {folder} does not exist")
    spec, contract_id = contract_spec(settings, engine, source_id)
    masking, limits = masking_of(settings), limits_of(settings)
    settled = now - source.settle
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in CAPTURE_SUFFIXES or path.name.startswith("."):
            continue
        try:
            changed = datetime.fromtimestamp(path.stat().st_mtime, tz=now.tzinfo)
            if changed > settled:
                continue  # perhaps still being written: the next look takes it
            digest = file_hash(path, limits.max_file_bytes * 4)
            if _seen(engine, source_id, digest):
                continue
            outcome = observe_capture(settings=settings, engine=engine, source_id=source_id,
                                      items=read_captures([path], masking=masking, limits=limits), origin="folder",
                                      name=path.name, content_hash=digest, confirm_after=source.confirm_after,
                                      integration=source.integration, now=now, spec=spec, contract_id=contract_id)  # fmt: skip
        except (CaptureError, OSError) as exc:
            counts["errors"] += 1
            _record_failure(engine, source_id, path, exc, now)
            continue
        counts["files"] += 1
        counts["exchanges"] += outcome.observation.exchanges
        counts["breaking"] += outcome.observation.result.summary.get("breaking", 0)
    return counts


def _seen(engine: Engine, source_id: str, digest: str) -> bool:
    with session_scope(engine) as session:
        return session.exec(select(ObservedCapture.id).where(
            ObservedCapture.source_id == source_id, ObservedCapture.content_hash == digest)).first() is not None  # fmt: skip


def _record_failure(engine: Engine, source_id: str, path: Path, exc: BaseException, now: datetime) -> None:
    """A capture that cannot be read is remembered with its reason, so it is not retried every few minutes."""
    line = error_line(exc)
    log.warning("%s: capture %s skipped: %s", source_id, path.name, line)
    try:
        digest = file_hash(path, 1024 * 1024 * 1024)
    except OSError:
        return
    with session_scope(engine) as session:
        if session.exec(select(ObservedCapture.id).where(ObservedCapture.source_id == source_id,
                                                         ObservedCapture.content_hash == digest)).first() is None:  # fmt: skip
            session.add(ObservedCapture(source_id=source_id, origin="folder", name=path.name[:500], content_hash=digest,
                                        error=line[:1000], observed_at=now))  # fmt: skip


def observe_run_answers(*, settings: Settings, engine: Engine, source_id: str, run_id: int,
                        entries: list[dict[str, Any]], now: datetime | None = None) -> ObserveOutcome | None:  # fmt: skip
    """The answers of a contract-test run, observed against the contract when the platform asks for it."""
    platform, name = _split(source_id)
    config = settings.platforms.get(platform)
    source = config.observe.get(name) if config else None
    if source is None or not source.contract_runs or not entries:
        return None
    from monitor.traffic.har import exchanges_of_entries

    items = exchanges_of_entries(entries, f"run {run_id}", masking=masking_of(settings), limits=limits_of(settings))
    return observe_capture(settings=settings, engine=engine, source_id=source_id, items=items, origin="contract-run",
                           name=f"run {run_id}", content_hash=hashlib.sha256(f"run:{run_id}".encode()).hexdigest(),
                           confirm_after=source.confirm_after, integration=source.integration, now=now)  # fmt: skip


def update_usage_file(contracts_dir: Path, integration: str, seen: dict[str, set[str]]) -> Path:
    """Add the operations (and response fields) seen to contracts/<integration>.yaml, never removing any: an entry
    that lists no fields (all of them) stays so."""
    if not integration or "/" in integration or integration.startswith("."):
        raise InputError(f"{integration!r} is not an integration name")
    path = contracts_dir / f"{integration}.yaml"
    entries: list[Any] = []
    if path.is_file():
        data = _parse(path.read_bytes(), str(path)) if path.read_bytes().strip()[:1] == b"{" else yaml.safe_load(
            path.read_text(encoding="utf-8"))  # fmt: skip
        if isinstance(data, dict):
            data = data.get("operations", data.get("uses"))
        if not isinstance(data, list):
            raise UsageFileError(f"{path}: a usage file lists operations; not updated")
        entries = data
    index: dict[str, int] = {}
    for i, item in enumerate(entries):
        ref = item if isinstance(item, str) else item.get("operation") if isinstance(item, dict) else None
        if isinstance(ref, str):
            index[normalise_operation_ref(ref)] = i
    for label in sorted(seen):
        fields = _leaves(seen[label])
        key = normalise_operation_ref(label)
        if key not in index:
            entries.append({"operation": label, "fields": fields} if fields else label)
            index[key] = len(entries) - 1
            continue
        item = entries[index[key]]
        if isinstance(item, dict) and isinstance(item.get("fields"), list) and fields:
            item["fields"] = sorted(set(map(str, item["fields"])) | set(fields))[:MAX_USAGE_FIELDS]
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Operations (and response fields) this integration was seen to call; kept up to date by `monitor`.\n"
    path.write_text(header + yaml.safe_dump({"operations": entries}, sort_keys=False), encoding="utf-8")
    return path


def _leaves(paths: set[str]) -> list[str]:
    clean = {p.replace("[]", "").replace(".{}", "") for p in paths}
    leaves = sorted(p for p in clean if not any(other.startswith(p + ".") for other in clean))
    return leaves[:MAX_USAGE_FIELDS]
