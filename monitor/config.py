"""Settings: config/monitor.yaml, `${ENV_VAR}` placeholders and MONITOR_* overrides, validated once at start."""

from __future__ import annotations

import difflib
import os
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, field_validator

from monitor.errors import ConfigError

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
    type: Literal["none", "header", "bearer", "oauth2", "lwa"] = "none"
    header: str | None = None
    value: SecretStr | None = None
    token: SecretStr | None = None
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    token_url: str | None = None
    scope: str | None = None


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


class Platform(_Strict):
    specs: dict[str, SpecSource] = Field(default_factory=dict)
    feeds: dict[str, FeedSource] = Field(default_factory=dict)
    sandbox: Sandbox | None = None


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


class Integration(_Strict):
    uses: dict[str, list[str]]  # "platform/spec" -> operations (operationId or METHOD /path)
    environments: dict[str, Environment] = Field(default_factory=lambda: {"production": Environment()})


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


def expand_placeholders(value: Any, file: str, path: str = "") -> Any:
    """Replace `${VAR}` with the environment's value; a missing variable names itself and its key."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{file}: {path or 'value'}: environment variable {name} is not set")
            return os.environ[name]

        return _PLACEHOLDER.sub(sub, value)
    if isinstance(value, dict):
        return {k: expand_placeholders(v, file, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_placeholders(v, file, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def load_settings(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """Read, expand and validate the configuration; every problem is one ConfigError naming file and key.

    The file is `path`, else $MONITOR_CONFIG, else config/monitor.yaml; a missing default file means an
    empty configuration, a missing explicit one is an error. MONITOR_DATABASE_URL overrides database_url.
    """
    env = os.environ if environ is None else environ
    explicit = path is not None or "MONITOR_CONFIG" in env
    file = Path(path) if path is not None else Path(env.get("MONITOR_CONFIG", DEFAULT_CONFIG))
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
    data = expand_placeholders(data, str(file))
    if env.get("MONITOR_DATABASE_URL"):
        data["database_url"] = env["MONITOR_DATABASE_URL"]
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(file, exc)) from exc


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
