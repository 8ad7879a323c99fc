"""The pass-rate chart's geometry: 100% at the top, 0% at the bottom, oldest on the left."""

from __future__ import annotations

from monitor.web.chart import HEIGHT, PAD_BOTTOM, PAD_LEFT, PAD_RIGHT, PAD_TOP, WIDTH, line_chart
from monitor.web.view import Rate


def test_rates_map_to_heights_and_buckets_spread_evenly_left_to_right() -> None:
    chart = line_chart([Rate("d1", 3, 3), Rate("d2", 0, 4), Rate("d3", 1, 2)])
    xs = [d.x for d in chart.dots]
    assert xs[0] == PAD_LEFT and xs[-1] == WIDTH - PAD_RIGHT and xs[1] == (xs[0] + xs[2]) / 2
    assert [d.y for d in chart.dots] == [PAD_TOP, HEIGHT - PAD_BOTTOM, (PAD_TOP + HEIGHT - PAD_BOTTOM) / 2]
    assert [d.is_perfect for d in chart.dots] == [True, False, False]
    assert chart.dots[1].label == "d2: 0/4 passed (0%)"
    assert chart.points.count(",") == 3


def test_a_single_bucket_sits_in_the_middle_and_no_bucket_draws_nothing() -> None:
    (dot,) = line_chart([Rate("today", 1, 1)]).dots
    assert dot.x == (PAD_LEFT + WIDTH - PAD_RIGHT) / 2
    empty = line_chart([])
    assert empty.dots == [] and empty.points == ""
