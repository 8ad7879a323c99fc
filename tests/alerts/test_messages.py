"""Messages fit Slack's limits and escape what Slack would read as markup."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from monitor.alerts.messages import followup_message, group_message
from monitor.config import Settings
from monitor.reports.schedule import add_nightly_job
from monitor.store.models import Alert
from monitor.store.session import make_engine


def alert(n: int, **fields: object) -> Alert:
    values: dict[str, object] = {"id": n, "kind": "change", "fingerprint": f"f{n}", "dedupe_key": f"k{n}",
                                 "title": f"<b>enum</b> & value {n} " + "x" * 400, "text": "y" * 5000, "state": "info",
                                 "labels": {"platform": "amazon-sp-api", "source": "amazon-sp-api/orders-v0",
                                            "level": "breaking"}, **fields}  # fmt: skip
    return Alert(**values)  # type: ignore[arg-type]


def test_a_big_group_fits_in_50_blocks_and_3000_characters_per_section() -> None:
    message = group_message([alert(n) for n in range(120)], dashboard_url="https://m.example.com")
    assert len(message.blocks) <= 50
    assert len(message.blocks[0]["text"]["text"]) <= 150
    sections = [b for b in message.blocks if b["type"] == "section"]
    assert len(sections) == 45 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert message.blocks[-2]["elements"][0]["text"] == "and 75 more"
    assert "&lt;b&gt;enum&lt;/b&gt; &amp; value 0" in sections[0]["text"]["text"]  # markup escaped
    assert message.text.startswith("120 spec changes: amazon-sp-api/orders-v0") and len(message.text) <= 4000
    assert len(message.alerts) == 120


def test_follow_ups_say_what_happened() -> None:
    assert followup_message(alert(1, state="resolved", title="drift")).text == "Resolved: drift"
    assert followup_message(alert(1, state="firing", title="drift"), is_repeat=True).text == "Still firing: drift"


def test_the_nightly_report_is_scheduled_in_its_time_zone() -> None:
    engine = make_engine("sqlite://")
    scheduler = BackgroundScheduler(timezone=UTC)
    settings = Settings.model_validate({"reports": {"nightly": {"timezone": "Asia/Shanghai"}}})
    add_nightly_job(scheduler, settings, engine, now=datetime(2026, 11, 28, tzinfo=UTC))
    [job] = scheduler.get_jobs()
    assert job.id == "nightly-report" and isinstance(job.trigger, CronTrigger)
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 28, 12, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2026, 11, 28, 18, tzinfo=UTC)  # 02:00 in Shanghai
    engine.dispose()
