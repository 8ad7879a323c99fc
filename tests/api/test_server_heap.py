"""The service's API server freezes the objects alive at start, so full collections stop pausing the event loop."""

from __future__ import annotations

import gc

from sqlalchemy.engine import Engine

from monitor.api.app import create_app
from monitor.api.server import ApiServer
from monitor.config import Settings


def test_a_freezing_server_hides_the_startup_heap_from_the_collector_and_still_answers(
    settings: Settings, db: Engine
) -> None:
    import httpx

    gc.unfreeze()
    server = ApiServer(create_app(settings, db), host="127.0.0.1", port=0, freeze_heap=True).start()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the app, its routes, the ORM's registry, the settings: all out of the walk
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert gc.isenabled()  # only hidden from the walk; new garbage is still collected
    finally:
        server.stop()
        gc.unfreeze()  # give the test process its heap back


def test_a_server_started_without_the_option_freezes_nothing(settings: Settings, db: Engine) -> None:
    gc.unfreeze()
    server = ApiServer(create_app(settings, db), host="127.0.0.1", port=0).start()
    try:
        assert gc.get_freeze_count() == 0
    finally:
        server.stop()
