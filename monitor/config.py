"""Settings: config/monitor.yaml, `${ENV_VAR}` placeholders and MONITOR_* overrides, validated once at start."""

from __future__ import annotations

import difflib
import os
import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.errors import ConfigError
from monitor.redact import register_secrets

DEFAULT_CONFIG = Path("config/monitor.yaml")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: Any) -> timedelta:
    """`30s`, `15m`, `6h`, `1d` (or a number of seconds) as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration such as 30s, 15m, 6h or 1d")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpecSource(_Strict):
    url: str
    every: Duration = timedelta(hours=6)
    confirm_after: int = Field(1, ge=1, le=100)  # polls a drift must be seen in before it counts


class FeedSource(_Strict):
    url: str
    every: Duration = timedelta(hours=1)
    kind: Literal["feed", "page"] = "feed"
    selector: str | None = None  # CSS selector that turns a changelog page into entries (kind: page)
    ignore_text: list[str] = Field(default_factory=list)
    trigger_text: list[str] = Field(default_factory=list)


class SandboxAuth(_Strict):
    type: Literal["none", "header", "bearer", "oauth2", "lwa", "shopee", "lazada", "tiktok-shop"] = "none"
    header: str | None = None
    value: SecretStr | None = None
    token: SecretStr | None = None
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    token_url: str | None = None
    scope: str | None = None
    # Signed requests (docs/platforms.md): shopee partner_id/partner_key/shop_id|merchant_id/access_token|refresh_token;
    # lazada app_key/app_secret/access_token; tiktok-shop app_key/app_secret/access_token/shop_cipher.
    partner_id: str | None = None
    partner_key: SecretStr | None = None
    shop_id: str | None = None
    merchant_id: str | None = None
    access_token: SecretStr | None = None
    app_key: str | None = None
    app_secret: SecretStr | None = None
    shop_cipher: str | None = None

    @field_validator("partner_id", "shop_id", "merchant_id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        """Numeric ids written bare in YAML (`shop_id: 14701711`) are ids, not numbers."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Sandbox(_Strict):
    """A platform's sandbox suite: where to send requests, how, how fast, what to test and how often."""

    base_url: str
    auth: SandboxAuth = SandboxAuth()
    rate_limit: str = "5/s"  # Amazon's sandbox: 5 requests per second
    specs: list[str] | None = None  # the platform's spec sources to test (default: all of them)
    operations: list[str] | None = None  # operationIds or `METHOD /path` (default: those the integrations use)
    phases: list[Literal["examples", "coverage", "fuzzing", "stateful"]] = Field(default_factory=lambda: ["examples"])
    max_examples: int = Field(20, ge=1, le=10_000)
    seed: int | None = 0  # fixed for repeatable runs; null for a random one
    every: Duration | None = timedelta(hours=6)  # scheduled runs; null for on-demand only (`monitor test SUITE`)
    time_budget: Duration = timedelta(minutes=5)
    request_timeout: Duration = timedelta(seconds=10)
    is_sandbox: bool = False  # set to declare a host outside the known sandbox hosts as one
    allow_production: bool = False  # run against a non-sandbox host anyway, sending only GET, HEAD and OPTIONS

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        if not re.match(r"^\d+(\.\d+)?/(s|m)$", value):
            raise ValueError(f"{value!r} is not a rate such as 5/s or 60/m")
        return value


class ObserveSource(_Strict):
    """Real answers checked against the contract `<platform>/<name>` (see docs/learned-contracts.md)."""

    folder: Path | None = None  # HAR / JSON Lines captures dropped here are observed once each
    contract_runs: bool = False  # also check the answers of this platform's sandbox contract-test runs
    every: Duration = timedelta(minutes=5)  # how often the folder is looked at
    settle: Duration = timedelta(seconds=10)  # a file changed more recently than this may still be being written
    confirm_after: int = Field(1, ge=1, le=100)  # observations a finding must be seen in before it counts
    integration: str | None = None  # also write the operations seen into contracts/<integration>.yaml


class Traffic(_Strict):
    """What captures may hold: personal fields masked by JSON path, and how big a body is kept."""

    mask_fields: list[str] = Field(default_factory=list)  # `$..BuyerName`, `$.payload.Orders[*].ShippingAddress`
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)  # larger bodies are cut and marked


class Platform(_Strict):
    specs: dict[str, SpecSource] = Field(default_factory=dict)
    feeds: dict[str, FeedSource] = Field(default_factory=dict)
    sandbox: Sandbox | None = None
    observe: dict[str, ObserveSource] = Field(default_factory=dict)  # contract name -> where its traffic comes from


DriftLevel = Literal["breaking", "warning", "info"]


class GatePolicy(_Strict):
    """How the deployment gate judges what it finds; `gate:` at the top sets defaults, environments override."""

    warn_days: int = Field(30, ge=0, le=3650)  # an announced removal/deprecation this close warns...
    fail_days: int = Field(7, ge=0, le=3650)  # ...and this close (or already past) fails
    past_days: int = Field(90, ge=0, le=3650)  # dates further in the past are history: the drift shows what happened
    max_age: Duration = timedelta(hours=24)  # no successful spec poll or sandbox run this recent: `unknown`
    fail_on: list[DriftLevel] = Field(default_factory=lambda: ["breaking"])  # drift levels that fail the gate
    warn_on: list[DriftLevel] = Field(default_factory=lambda: ["warning"])  # drift levels that warn
    failing_runs: Literal["fail", "warn", "ignore"] = "fail"  # an operation whose latest sandbox result fails
    flaky_runs: Literal["fail", "warn", "ignore"] = "warn"  # an operation whose sandbox results alternate


class Environment(_Strict):
    report_only: bool = False  # decide and record, never block (deployable stays true)
    warn_days: int | None = Field(None, ge=0, le=3650)
    fail_days: int | None = Field(None, ge=0, le=3650)
    past_days: int | None = Field(None, ge=0, le=3650)
    max_age: Duration | None = None
    fail_on: list[DriftLevel] | None = None
    warn_on: list[DriftLevel] | None = None
    failing_runs: Literal["fail", "warn", "ignore"] | None = None
    flaky_runs: Literal["fail", "warn", "ignore"] | None = None

    def policy(self, defaults: GatePolicy) -> GatePolicy:
        """The defaults with this environment's keys laid over them."""
        overrides = {k: v for k, v in self.model_dump(exclude={"report_only"}).items() if v is not None}
        return defaults.model_copy(update=overrides)


USE_ENTRY_KEYS = frozenset({"operation", "fields", "rate", "burst", "per_second", "per_minute", "per_hour", "per_day"})


class Integration(_Strict):
    uses: dict[str, list[str]]  # "platform/spec" -> operations (operationId or METHOD /path)
    environments: dict[str, Environment] = Field(default_factory=lambda: {"production": Environment()})
    # "platform/spec" -> operation ref (as written) -> its `{operation: ..., rate: 0.5/s, burst: 10}` entry; filled
    # from `uses` entries that are mappings, so every reader of `uses` still sees plain operation refs
    use_entries: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_use_entries(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("uses"), dict):
            return data
        from monitor.engine.limits import parse_need

        uses: dict[str, Any] = {}
        entries: dict[str, dict[str, dict[str, Any]]] = {}
        for source_id, refs in data["uses"].items():
            if not isinstance(refs, list):
                uses[source_id] = refs  # the type check below gives the reason
                continue
            plain: list[Any] = []
            for i, ref in enumerate(refs):
                if not isinstance(ref, dict):
                    plain.append(ref)
                    continue
                where = f"uses.{source_id}[{i}]"
                if not isinstance(ref.get("operation"), str):
                    raise ValueError(
                        f"{where}: an entry that is a mapping needs `operation: <operationId or METHOD /path>`"
                    )
                unknown = set(ref) - USE_ENTRY_KEYS
                if unknown:
                    raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                                     f"(allowed: {', '.join(sorted(USE_ENTRY_KEYS))})")  # fmt: skip
                if "fields" in ref and not isinstance(ref["fields"], list):
                    raise ValueError(f"{where}: `fields` must be a list")
                try:
                    parse_need(ref)
                except ValueError as exc:
                    raise ValueError(f"{where}: {exc}") from exc
                plain.append(ref["operation"])
                entries.setdefault(source_id, {})[ref["operation"]] = dict(ref)
            uses[source_id] = plain
        given = data.get("use_entries") or {}  # a re-validated model (model_dump -> model_validate) brings its own
        if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
            raise ValueError("use_entries: derived from `uses` entries; write needs there")
        for source_id, refs in given.items():
            for ref, entry in refs.items():
                if not isinstance(entry, dict):
                    raise ValueError(f"use_entries.{source_id}.{ref}: not a mapping")
                try:
                    parse_need(entry)
                except ValueError as exc:
                    raise ValueError(f"use_entries.{source_id}.{ref}: {exc}") from exc
        return {**data, "uses": uses, "use_entries": {**given, **entries}}


class ApiToken(_Strict):
    name: str
    scopes: list[Literal["read", "gate", "admin"]]
    sha256: str

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise ValueError("must be the 64-hex-digit sha256 printed by `monitor token create`")
        return value


class Api(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)  # 0: any free port (tests, the demo)
    tokens: list[ApiToken] = Field(default_factory=list)
    decision_cache: Duration = timedelta(seconds=5)  # reuse a gate decision this long per integration/env; 0: off
    public_dashboard: bool = False  # serve the dashboard at / without a token (a trusted network, `monitor demo`)
    max_header_bytes: int = Field(32 * 1024, ge=1024, le=1024 * 1024)  # request line + headers; over it: 431
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=1024 * 1024 * 1024)  # over it: 413, refused unread


AlertMatch = dict[str, str]  # label -> value; labels: kind, platform, source, level, suite, operation, category


class SlackRoute(_Strict):
    """Alerts whose labels all equal `match` go to `channel`; the first matching route wins."""

    match: AlertMatch = Field(default_factory=dict)
    channel: str


class Slack(_Strict):
    token: SecretStr
    routes: list[SlackRoute] = Field(default_factory=list)
    default_channel: str | None = None  # alerts no route matches (none: they are not sent to Slack)
    base_url: str | None = None  # tests point this at a local fake
    timeout: Duration = timedelta(seconds=10)  # per Web API call


class Webhook(_Strict):
    """A generic JSON POST receiver (Microsoft Teams workflow, a ticketing system) fed by the same outbox."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$")
    url: str
    routes: list[AlertMatch] = Field(default_factory=list)  # empty: every alert; else any matching route
    headers: dict[str, SecretStr] = Field(default_factory=dict)  # say an Authorization header from ${VAR}
    timeout: Duration = timedelta(seconds=10)


class Silence(_Strict):
    """Mutes alerts whose labels all equal `match` until `ends_at` (required: no silence lasts forever)."""

    match: AlertMatch
    ends_at: datetime
    starts_at: datetime | None = None
    reason: str = ""

    @field_validator("ends_at", "starts_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-12-01T00:00:00Z")
        return value


class Alerts(_Strict):
    """Routing, grouping and timing of alerts, after Prometheus Alertmanager (see docs/alerts.md)."""

    slack: Slack | None = None
    webhooks: list[Webhook] = Field(default_factory=list)
    group_by: list[str] = Field(default_factory=lambda: ["kind", "platform"])
    group_wait: Duration = timedelta(seconds=30)  # a new group waits this long to gather its first alerts
    group_interval: Duration = timedelta(minutes=5)  # then at most one message per group per interval
    repeat_interval: Duration = timedelta(hours=4)  # the same firing alert is repeated no sooner than this
    silences: list[Silence] = Field(default_factory=list)
    dashboard_url: str | None = None  # public base URL of the service, for links in messages
    dispatch_every: Duration = timedelta(seconds=5)
    max_backoff: Duration = timedelta(minutes=10)  # retries back off exponentially up to this

    @field_validator("webhooks")
    @classmethod
    def _unique(cls, value: list[Webhook]) -> list[Webhook]:
        names = [w.name for w in value]
        if len(names) != len(set(names)):
            raise ValueError("webhook names must be unique")
        return value


class Nightly(_Strict):
    cron: str = "0 2 * * *"
    timezone: str = "UTC"
    slack_channel: str | None = None
    webhooks: bool = True  # also send the report to every configured webhook

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a time zone such as UTC or Asia/Shanghai") from exc
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            if len(value.split()) != 5:
                raise ValueError("not 5 fields")
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a 5-field cron expression such as '0 2 * * *'") from exc
        return value


class Reports(_Strict):
    nightly: Nightly | None = None  # `nightly: {}` schedules it at the defaults (02:00 UTC)


class Distributed(_Strict):
    """`monitor worker` / `monitor run --mode distributed` (procrastinate on PostgreSQL)."""

    tick: str = "* * * * *"  # cron (a 6th field for seconds) of the tick that defers due slots
    heartbeat: Duration = timedelta(seconds=10)  # how often a worker proves it is alive
    stalled_after: Duration = timedelta(seconds=30)  # no heartbeat for this long: its jobs are retried elsewhere
    max_attempts: int = Field(5, ge=1, le=100)  # a job failing on the database is retried with backoff


class Settings(_Strict):
    database_url: str = "sqlite:///monitor.db"
    contracts_dir: Path = Path("contracts")
    api: Api = Api()
    allow_hosts: list[str] = Field(default_factory=list)
    platforms: dict[str, Platform] = Field(default_factory=dict)
    integrations: dict[str, Integration] = Field(default_factory=dict)
    gate: GatePolicy = GatePolicy()
    alerts: Alerts = Alerts()
    reports: Reports = Reports()
    distributed: Distributed = Distributed()
    traffic: Traffic = Traffic()

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        if value.startswith("postgresql://"):  # psycopg 3 is the driver we ship
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    def spec_sources(self) -> list[tuple[str, str, SpecSource]]:
        return [(p, name, s) for p, platform in self.platforms.items() for name, s in platform.specs.items()]

    def feed_sources(self) -> list[tuple[str, str, FeedSource]]:
        return [(p, name, f) for p, platform in self.platforms.items() for name, f in platform.feeds.items()]

    def spec_source(self, source_id: str) -> tuple[str, str, SpecSource]:
        """(platform, name, source) of the spec source `platform/name`, by index (a poll looks it up each time)."""
        found = _indexes(self)[0].get(source_id)
        if found is None:
            raise ConfigError(f"{source_id}: no such spec source in the configuration")
        return found  # type: ignore[no-any-return]

    def feed_source(self, source_id: str) -> tuple[str, str, FeedSource]:
        """(platform, name, source) of the feed or changelog-page source `platform/name`."""
        found = _indexes(self)[1].get(source_id)
        if found is None:
            raise ConfigError(f"{source_id}: no such feed or page source in the configuration")
        return found  # type: ignore[no-any-return]

    def observe_sources(self) -> list[tuple[str, str, ObserveSource]]:
        return [(p, name, o) for p, platform in self.platforms.items() for name, o in platform.observe.items()]

    def sandboxes(self) -> list[tuple[str, Sandbox]]:
        return [(p, platform.sandbox) for p, platform in self.platforms.items() if platform.sandbox is not None]


_INDEXES: dict[int, tuple[Settings, dict[str, Any], dict[str, Any]]] = {}
_INDEXES_LOCK = threading.Lock()


def _indexes(settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """Source id -> source, built once per Settings object. Kept beside the model, not in it: a `model_copy` would
    carry a cached index over to a copy whose sources differ. At 10,000 sources a scan cost 9 ms per poll."""
    with _INDEXES_LOCK:
        entry = _INDEXES.get(id(settings))
        if entry is None or entry[0] is not settings:
            if len(_INDEXES) >= 16:  # a process holds one or two configurations; tests build many
                _INDEXES.clear()
            specs = {f"{p}/{n}": (p, n, s) for p, n, s in settings.spec_sources()}
            feeds = {f"{p}/{n}": (p, n, f) for p, n, f in settings.feed_sources()}
            entry = _INDEXES[id(settings)] = (settings, specs, feeds)
        return entry[1], entry[2]


def expand_placeholders(value: Any, file: str, path: str = "", found: set[str] | None = None) -> Any:
    """Replace `${VAR}` with the environment's value; a missing variable names itself and its key. The values put
    in are added to `found`: secrets come from the environment this way, so they are masked wherever they appear."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{file}: {path or 'value'}: environment variable {name} is not set")
            if found is not None:
                found.add(os.environ[name])
            return os.environ[name]

        return _PLACEHOLDER.sub(sub, value)
    if isinstance(value, dict):
        return {k: expand_placeholders(v, file, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_placeholders(v, file, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def secret_values(value: Any) -> list[str]:
    """Every SecretStr value in a settings tree (tokens, sandbox credentials, webhook headers)."""
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, BaseModel):
        return [s for name in type(value).model_fields for s in secret_values(getattr(value, name))]
    if isinstance(value, dict):
        return [s for v in value.values() for s in secret_values(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in secret_values(v)]
    return []


def load_settings(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """Read, expand and validate the configuration; every problem is one ConfigError naming file and key.

    The file is `path`, else $MONITOR_CONFIG, else config/monitor.yaml; a missing default file means an
    empty configuration, a missing explicit one is an error. MONITOR_DATABASE_URL overrides database_url.
    """
    env = os.environ if environ is None else environ
    explicit = path is not None or "MONITOR_CONFIG" in env
    file = config_file(path, environ=env)
    data: Any = {}
    if file.exists():
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
            raise ConfigError(f"{file}{where}: invalid YAML: {exc.problem}") from exc
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc.strerror}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: the configuration must be a mapping of keys")
    elif explicit:
        raise ConfigError(f"{file}: configuration file not found")
    substituted: set[str] = set()
    data = expand_placeholders(data, str(file), found=substituted)
    data = paths_relative_to(data, file.absolute().parent)
    if env.get("MONITOR_DATABASE_URL"):
        data["database_url"] = env["MONITOR_DATABASE_URL"]
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(file, exc)) from exc
    register_secrets([*substituted, *secret_values(settings)])  # masked in every URL shown, whatever the parameter
    return settings


def _first_error(file: Path, exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        parent = err["loc"][:-1]
        model = _model_at(parent)
        hint = ""
        if model is not None:
            close = difflib.get_close_matches(str(err["loc"][-1]), list(model.model_fields), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
        return f"{file}: {key}: unknown key{hint}"
    return f"{file}: {key}: {err['msg'].removeprefix('Value error, ')}"  # pydantic's prefix for our ValueErrors


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that sits at a validation location, to suggest a close key."""
    current: Any = Settings
    for part in loc:
        current = _unwrap_optional(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:  # dict[str, X] or list[X]: the key or index steps into X
            args = get_args(current)
            if not args:
                return None
            current = args[-1]
    current = _unwrap_optional(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap_optional(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if len(args) == 1 and type(None) in get_args(annotation):
        return args[0]
    return annotation


def config_file(path: str | Path | None = None, *, environ: Mapping[str, str] | None = None) -> Path:
    """The configuration file a command reads: `path`, else $MONITOR_CONFIG, else config/monitor.yaml."""
    env = os.environ if environ is None else environ
    return Path(path) if path is not None else Path(env.get("MONITOR_CONFIG", DEFAULT_CONFIG))


PATH_KEYS = ("contracts_dir",)  # top-level keys holding a path; and any key ending in `_file`, `_dir` or `usage`


def paths_relative_to(data: Any, folder: Path) -> Any:
    """Relative paths written in a configuration file are relative to that file's folder, as in Prometheus,
    Compose and Alembic (`%(here)s`), not to the directory the command runs in. Keys left out keep their
    documented defaults (`contracts`, `sqlite:///monitor.db`: relative to the working directory)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    url = out.get("database_url")
    if isinstance(url, str) and url.startswith("sqlite:///"):
        rest = url[len("sqlite:///") :]
        name = rest.split("?", 1)[0]
        if name and name != ":memory:" and not name.startswith(("/", "file:")) and not Path(name).is_absolute():
            out["database_url"] = f"sqlite:///{os.path.normpath(folder / rest)}"  # config/../x.db shown as x.db
    return _relative_paths(out, folder, top=True)


def _relative_paths(value: Any, folder: Path, *, top: bool = False) -> Any:
    if isinstance(value, list):
        return [_relative_paths(v, folder) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        is_path = (top and key in PATH_KEYS) or (isinstance(key, str) and key.endswith(("_file", "_dir", "usage")))
        if is_path and isinstance(item, str) and item and "://" not in item and not Path(item).is_absolute():
            out[key] = os.path.normpath(folder / item)
        else:
            out[key] = _relative_paths(item, folder)
    return out
