"""Geometry of the dashboard's small pass-rate charts: rates in, SVG coordinates out (the template draws them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.web.view import Rate

WIDTH, HEIGHT = 320, 90
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 34, 8, 8, 8  # room for the 0% / 100% labels on the left


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    label: str  # the bucket and its numbers, shown as the dot's <title> tooltip
    is_perfect: bool


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    points: str  # the polyline's `points` attribute
    dots: list[Dot]
    top: float  # y of 100%
    bottom: float  # y of 0%
    left: float
    right: float


def line_chart(rates: Sequence[Rate], *, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """Evenly spaced buckets (oldest left), 0-100% from bottom to top; one bucket sits in the middle."""
    left, right = PAD_LEFT, width - PAD_RIGHT
    top, bottom = PAD_TOP, height - PAD_BOTTOM
    step = (right - left) / (len(rates) - 1) if len(rates) > 1 else 0.0
    dots = []
    for i, r in enumerate(rates):
        x = left + i * step if len(rates) > 1 else (left + right) / 2
        y = bottom - r.rate * (bottom - top)
        dots.append(Dot(round(x, 1), round(y, 1), f"{r.label}: {r.passed}/{r.total} passed ({r.rate:.0%})",
                        r.total > 0 and r.passed == r.total))  # fmt: skip
    points = " ".join(f"{d.x},{d.y}" for d in dots)
    return Chart(width, height, points, dots, top, bottom, left, right)
