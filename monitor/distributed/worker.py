"""Run a procrastinate worker (`monitor worker`), or the API plus the tick (`monitor run --mode distributed`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from procrastinate import App
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from monitor.config import Settings
from monitor.distributed.app import QUEUE_TICK, build_app
from monitor.distributed.runtime import Runtime
from monitor.errors import StoreError
from monitor.redact import error_line, redact_url
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store.session import make_engine

log = logging.getLogger("monitor.distributed")

DEFAULT_CONCURRENCY = 8  # jobs mostly wait on the network; each holds one thread and at most one connection


def ensure_ready(engine: Engine) -> None:
    """Fail fast, naming the fix, when the database is down or was never upgraded (no procrastinate schema)."""
    try:
        with engine.connect() as conn:
            ready = conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot reach {redact_url(str(engine.url))}: {type(exc).__name__}") from exc
    if not ready:
        raise StoreError(f"{redact_url(str(engine.url))} has no job queue yet: run `monitor db upgrade` first")


def run_worker(
    settings: Settings, *, concurrency: int = DEFAULT_CONCURRENCY, queues: Iterable[str] | None = None,
    name: str | None = None, config_path: Path | None = None,
) -> None:  # fmt: skip
    """Run jobs (all queues unless `queues`) until SIGINT/SIGTERM; a second signal stops at once.
    With `config_path`, the file is reloaded on SIGHUP and when it changes (new sources, URLs, settings)."""
    asyncio.run(_work(settings, concurrency=concurrency, queues=queues, name=name, config_path=config_path))


def run_api_and_tick(settings: Settings, *, config_path: Path | None = None) -> None:
    """The API (if this build has one) and a tick-only worker in one event loop, until SIGINT/SIGTERM.

    This process defers work and never runs a poll itself, so API latency does not depend on the job load.
    """
    asyncio.run(_api_and_tick(settings, config_path=config_path))


@contextlib.asynccontextmanager
async def _config_watch(
    path: Path | None, settings: Settings, apply: Callable[[Settings], None]
) -> AsyncIterator[None]:
    """Reload `path` every few seconds when it changed, and on SIGHUP; `apply` runs in a worker thread."""
    if path is None:
        yield
        return
    from monitor.jobs.reload import CHECK_EVERY_S, ConfigReloader

    reloader = ConfigReloader(path, settings, apply)
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def hangup() -> None:
        reloader.request()
        wake.set()

    with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread: file changes only
        loop.add_signal_handler(signal.SIGHUP, hangup)

    async def watch() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), CHECK_EVERY_S)
            wake.clear()
            await asyncio.to_thread(reloader.check)

    task = asyncio.create_task(watch())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGHUP)


async def _work(settings: Settings, *, concurrency: int, queues: Iterable[str] | None, name: str | None,
                config_path: Path | None = None) -> None:  # fmt: skip
    async with _runtime(settings, threads=concurrency) as rt, _config_watch(config_path, settings, rt.apply):
        log.info("worker %s: %d concurrent job(s), queues %s", name or "worker", concurrency,
                 ", ".join(queues) if queues else "all")  # fmt: skip
        await rt.app.run_worker_async(**_worker_options(rt, concurrency=concurrency, queues=queues, name=name))


async def _api_and_tick(settings: Settings, *, config_path: Path | None = None) -> None:
    async with _runtime(settings, threads=2) as rt:
        from monitor.jobs.contracts import sync_contract_files

        # As `monitor run` does at start: contract files shipped with this release take effect now. Best effort:
        # API replicas starting together race for it, and a bad file must not keep the API down.
        try:
            for source_id in await asyncio.to_thread(sync_contract_files, settings=settings, engine=rt.engine):
                log.info("%s: contract file changed; drift recomputed", source_id)
        except Exception as exc:
            log.error("sync contract files: %s", error_line(exc, []))
        api = _create_api(settings, rt.engine)
        options = _worker_options(rt, concurrency=1, queues=[QUEUE_TICK], name="tick")
        if api is None:
            log.warning("this build has no status API (monitor.api.app.create_app); running the tick only")
            await rt.app.run_worker_async(**options)
            return
        import uvicorn

        tick = asyncio.create_task(rt.app.run_worker_async(**options, install_signal_handlers=False))
        server = uvicorn.Server(uvicorn.Config(api, host=settings.api.host, port=settings.api.port, log_level="info",
                                               access_log=False))  # fmt: skip
        housekeeping = _housekeeping(settings, rt.engine)
        housekeeping.start()

        def apply(new: Settings) -> None:
            from monitor.jobs.reload import reconfigure_app
            from monitor.jobs.scheduler import add_service_jobs, remove_service_jobs
            from monitor.store.models import utcnow

            rt.apply(new)  # the tick defers the new catalogue's slots
            reconfigure_app(api, new)
            remove_service_jobs(housekeeping)
            add_service_jobs(housekeeping, new, rt.engine, now=utcnow())

        try:
            async with _config_watch(config_path, settings, apply):
                await server.serve()  # returns on SIGINT/SIGTERM (uvicorn installs the handlers)
        finally:
            housekeeping.shutdown(wait=True)
            tick.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tick


@contextlib.asynccontextmanager
async def _runtime(settings: Settings, *, threads: int) -> AsyncIterator[Runtime]:
    engine = make_engine(settings.database_url)
    app: App = build_app(settings, pool_max_size=threads + 4)
    try:
        ensure_ready(engine)
        # Sync jobs run in the loop's default executor: one thread per concurrent job, not asyncio's cpu + 4.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(threads, thread_name_prefix="monitor-job"))
        with Fetcher(FetchPolicy(allow_hosts=tuple(settings.allow_hosts))) as fetcher:
            async with app.open_async():
                yield Runtime(settings=settings, engine=engine, fetcher=fetcher, app=app)
    finally:
        engine.dispose()


def _worker_options(rt: Runtime, *, concurrency: int, queues: Iterable[str] | None, name: str | None) -> Any:
    d = rt.settings.distributed
    return {
        "queues": list(queues) if queues else None,
        "concurrency": concurrency,
        "name": name,
        "additional_context": {"runtime": rt},
        "update_heartbeat_interval": d.heartbeat.total_seconds(),
        "stalled_worker_timeout": d.stalled_after.total_seconds(),
        "delete_jobs": "successful",  # the job-run rows are the history; the queue keeps only what is pending
        "fetch_job_polling_interval": 5.0,  # LISTEN/NOTIFY wakes workers at once; polling is the fallback
    }


def _housekeeping(settings: Settings, engine: Engine) -> Any:
    """Alert delivery, the nightly report and contract-file sync, as in `monitor run`: safe in every API replica."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from monitor.jobs.scheduler import add_service_jobs
    from monitor.store.models import utcnow

    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"max_instances": 1, "coalesce": True})
    add_service_jobs(scheduler, settings, engine, now=utcnow())
    return scheduler


def _create_api(settings: Settings, engine: Engine) -> Any:
    try:
        from monitor.api.app import create_app
    except ModuleNotFoundError as exc:
        if exc.name not in ("monitor.api", "monitor.api.app"):
            raise
        return None
    return create_app(settings, engine)
