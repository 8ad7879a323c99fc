"""The whole demo as one object: simulated marketplace, generated config, SQLite store, scheduler, API and dashboard.

Usage:

    with Demo(workdir=Path(tmp), port=0, speed=4) as demo:   # port 0: any free port
        print(demo.dashboard_url)                              # the scheduler is polling; the gate will flip

Nothing leaves 127.0.0.1: the marketplace, its replica sandbox, the service and the API all listen there, and the
fetcher is allowed that one host.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from monitor.config import Settings, load_settings
from monitor.demo.config import ENVIRONMENT, INTEGRATION, demo_config, timings, write_config
from monitor.demo.marketplace import FEED_PATH, SPEC_PATH, Marketplace
from monitor.demo.serving import RunningServer, serve_in_thread
from monitor.gate.tokens import new_token, token_hash

log = logging.getLogger("monitor.demo")

DEFAULT_PORT = 8765  # not the service's default 8080, so a demo runs beside a real `monitor run`


class Demo:
    """Start with `start()` (or `with`), stop with `stop()`; every part is stopped even if another fails to."""

    def __init__(
        self,
        *,
        workdir: Path,
        port: int = DEFAULT_PORT,
        marketplace_port: int = 0,
        speed: float = 1.0,
        start_clock: bool = True,
    ):
        self.workdir = workdir
        self.start_clock = start_clock  # False: the caller starts the marketplace's clock (`marketplace.begin()`)
        self.port = port
        self.marketplace_port = marketplace_port
        self.timings = timings(speed)
        # The demo's own API token (admin, so every walkthrough command works); printed by the CLI once, kept in
        # memory only: the config file holds its sha256, as for any token.
        self.token = new_token()
        self.marketplace = Marketplace(step=self.timings.version_step)
        self.settings: Settings | None = None
        self.engine: Engine | None = None
        self.config_path = workdir / "monitor.yaml"
        self._market: RunningServer | None = None
        self._api: RunningServer | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._resources = ExitStack()  # what is closed last: the fetcher's connection pool

    # -- lifecycle ----------------------------------------------------------------------------------------------------

    def start(self) -> Demo:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from monitor.api.app import create_app
        from monitor.jobs.cycle import run_cycle
        from monitor.jobs.scheduler import build_scheduler
        from monitor.sources.fetcher import Fetcher, FetchPolicy
        from monitor.store.migrate import upgrade
        from monitor.store.session import make_engine

        # log_level error (uvicorn's loggers are process-wide, so for both servers): the sandbox suite sends malformed
        # requests on purpose, and uvicorn would warn about each one
        self._market = serve_in_thread(self.marketplace.app(), port=self.marketplace_port, lifespan="off",
                                       log_level="error")  # fmt: skip
        config = demo_config(workdir=self.workdir, api_port=self.port or 8080, marketplace_url=self._market.url,
                             poll_every=self.timings.poll_every, token_sha256=token_hash(self.token))  # fmt: skip
        write_config(self.config_path, config)
        self.settings = settings = load_settings(self.config_path)
        upgrade(settings.database_url)
        self.engine = make_engine(settings.database_url)
        self._api = serve_in_thread(create_app(settings, self.engine), port=self.port, log_level="error")
        if not self.port:  # the API picked a free port: the file names it, for `monitor gate --config`
            config["api"]["port"] = self._api.port
            write_config(self.config_path, config)
        fetcher = self._resources.enter_context(Fetcher(FetchPolicy(allow_hosts=tuple(settings.allow_hosts))))
        # One spec poll (it pins the contract), then one sandbox run against it, before the clock starts: the gate
        # can pass while 1.0.0 is live however slow the first run (schemathesis loads in seconds) is.
        run_cycle(settings, self.engine, fetcher, job="poll-specs")
        run_cycle(settings, self.engine, fetcher, job="contract-tests")
        self._scheduler = build_scheduler(settings, self.engine, fetcher, run_once_first=True)
        self._scheduler.start()
        if self.start_clock:
            self.marketplace.begin()
        log.info("demo started in %s", self.workdir)

    def stop(self) -> None:
        """API first (no new requests), then the scheduler (running jobs finish), then the rest."""
        if self._api is not None:
            self._api.stop()
            self._api = None
        if self._scheduler is not None:
            from monitor.jobs.scheduler import shutdown_and_wait

            shutdown_and_wait(self._scheduler)
            self._scheduler = None
        self._resources.close()
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self._market is not None:
            self._market.stop()
            self._market = None

    def __enter__(self) -> Demo:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- what to show -------------------------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        assert self._api is not None, "the demo is not started"
        return self._api.url

    @property
    def marketplace_url(self) -> str:
        assert self._market is not None, "the demo is not started"
        return self._market.url

    @property
    def dashboard_url(self) -> str:
        return self.api_url + "/"

    @property
    def gate_url(self) -> str:
        return f"{self.api_url}/api/v1/gate?integration={INTEGRATION}&environment={ENVIRONMENT}"

    @property
    def spec_url(self) -> str:
        return self.marketplace_url + SPEC_PATH

    @property
    def feed_url(self) -> str:
        return self.marketplace_url + FEED_PATH

    def flip_expected_within(self) -> timedelta:
        """When the breaking version is live and has been polled: two version steps and one poll interval."""
        return 2 * self.timings.version_step + self.timings.poll_every
