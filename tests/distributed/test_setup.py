"""Distributed mode's set-up: the migration installs procrastinate's queue, and the commands refuse what cannot work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from monitor.cli import main
from tests.conftest import PG_ADMIN_URL
from tests.distributed.conftest import write_config

QUEUE_TABLES = {"procrastinate_jobs", "procrastinate_workers", "procrastinate_periodic_defers", "procrastinate_events"}


def tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
        return set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    return int(exited.value.code or 0), capsys.readouterr().err


def test_db_upgrade_installs_the_job_queue_on_postgresql_and_downgrade_removes_it(pg: Engine, pg_url: str) -> None:
    from alembic import command

    from monitor.store.migrate import alembic_config, upgrade

    assert tables(pg) >= QUEUE_TABLES
    command.downgrade(alembic_config(pg_url), "0004")
    assert not {t for t in tables(pg) if t.startswith("procrastinate")}
    with pg.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'")).scalar()
    assert left == 0
    upgrade(pg_url)
    assert tables(pg) >= QUEUE_TABLES


def test_db_upgrade_on_sqlite_has_no_job_queue(tmp_path: Path) -> None:
    from monitor.store.migrate import upgrade
    from monitor.store.session import make_engine

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = make_engine(url)
    assert "jobrun" in tables(engine) and not {t for t in tables(engine) if t.startswith("procrastinate")}
    engine.dispose()


@pytest.mark.parametrize("args", [["worker"], ["run", "--mode", "distributed"]])
def test_distributed_commands_refuse_sqlite_with_exit_2(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", {})
    code, err = run_cli([*args, "--config", str(config)], capsys)
    assert code == 2
    assert err.startswith("error: distributed mode needs PostgreSQL") and err.count("\n") == 1


def test_run_once_is_refused_in_distributed_mode(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, pg_url, {})
    code, err = run_cli(["run", "--mode", "distributed", "--once", "poll-specs", "--config", str(config)], capsys)
    assert (code, err.splitlines()[0]) == (
        2,
        "error: --once runs a job in this process; use it without --mode distributed",
    )


@pytest.fixture
def unmigrated_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database nobody ran `monitor db upgrade` on."""
    from monitor.store.session import make_engine

    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"monitor_bare_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_worker_on_a_database_without_the_queue_says_to_upgrade(
    tmp_path: Path, unmigrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, unmigrated_url, {})
    code, err = run_cli(["worker", "--config", str(config)], capsys)
    assert code == 3
    assert "has no job queue yet: run `monitor db upgrade` first" in err.splitlines()[-1]
    assert err.splitlines()[-1].startswith("error: ")


def test_contract_runs_lock_their_sandbox_and_polls_go_in_batches_of_one_job_kind() -> None:
    import asyncio

    from monitor.config import Settings
    from monitor.distributed.app import QUEUE_JOBS, QUEUE_SANDBOX, TASK_BATCH, TASK_RUN, build_app
    from monitor.distributed.tasks import _job_of, batches
    from monitor.distributed.tick import DueRun
    from monitor.jobs import contract_tests, poll_specs

    app = build_app(Settings(database_url="postgresql+psycopg://monitor@127.0.0.1/monitor"))  # never opened
    contract = _job_of(app.tasks[TASK_RUN], DueRun(contract_tests.JOB, "amazon-sp-api", "2026-11-28T06:00:00+00:00"))
    assert (contract.queue, contract.lock, contract.queueing_lock) == (
        QUEUE_SANDBOX,
        "sandbox:amazon-sp-api",
        f"{contract_tests.JOB}:amazon-sp-api",
    )
    # Polls: no lock (a lock per queued job makes every fetch scan the queue), one batch job per few sources.
    due = [DueRun(poll_specs.JOB, f"amazon-sp-api/s{i}", "2026-11-28T06:00:00+00:00") for i in range(2)]
    ((job, part),) = batches(due[:1])
    assert app.tasks[TASK_BATCH].queue == QUEUE_JOBS and app.tasks[TASK_BATCH].lock is None
    assert (job, part) == (poll_specs.JOB, due[:1])
    assert asyncio.iscoroutinefunction(app.tasks[TASK_BATCH].func) is False  # synchronous: run in a worker thread


def test_a_run_that_cannot_reach_the_database_is_retried_with_exponential_backoff() -> None:
    from monitor.config import Settings
    from monitor.distributed.app import TASK_BATCH, TASK_RUN, build_app
    from monitor.distributed.tasks import _job_of
    from monitor.distributed.tick import DueRun
    from monitor.errors import StoreError, UpstreamError

    settings = Settings(database_url="postgresql+psycopg://monitor@127.0.0.1/monitor", distributed={"max_attempts": 4})
    app = build_app(settings)
    for task in (app.tasks[TASK_RUN], app.tasks[TASK_BATCH]):  # a contract run; a batch of polls
        job = _job_of(task, DueRun("poll-specs", "shop/orders", "2026-11-28T06:00:00+00:00"))
        strategy = task.retry_strategy
        assert strategy is not None
        waits = []
        for attempts in range(5):
            error = StoreError("database down")
            decision = strategy.get_retry_decision(exception=error, job=job.evolve(attempts=attempts))
            waits.append(
                round((decision.retry_at - datetime.now(UTC)).total_seconds())
                if decision and decision.retry_at
                else None
            )
        assert waits == [2, 4, 8, 16, None]
        # A job's own failure is recorded on its job run by the runner, never retried: the next slot polls again.
        assert strategy.get_retry_decision(exception=UpstreamError("500"), job=job) is None
