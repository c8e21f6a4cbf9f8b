#!/usr/bin/env python
"""How long a batch of badges takes to draw, and how much memory it needs.

    .venv/bin/python bench/badges.py [--badges 2000] [--layout a4_8]

Draws --badges badges (random codes, names of realistic length) through
badges.render.render_badges on each layout asked for, in this process (no
database: the PDF drawing is the cost that grows with the batch), and prints
per layout the wall time, the time per badge, the PDF's size and the peak RSS
above the start (VmHWM, reset before each layout). BADGE_BATCH_MAX bounds
what one request may ask for; this says what that bound costs a web process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: import from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def _rss_peak_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=2000)
    parser.add_argument(
        "--layout", action="append", help="a layout name (repeatable); all by default"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from badges.layouts import LAYOUTS
    from badges.render import BadgeData, render_badges
    from registrants.models import new_check_in_codes

    codes = new_check_in_codes(args.badges)
    badges = [
        BadgeData(
            name=f"Registrant Number {i} Lovelace-García",
            company=f"Company {i % 200} Analytical Engines",
            guest_type=["attendee", "speaker", "vip", "press"][i % 4],
            guest_type_label=["Attendee", "Speaker", "VIP", "Press"][i % 4],
            event_name="Venue Day",
            event_date="06 Dec 2026",
            code=code,
        )
        for i, code in enumerate(codes)
    ]
    render_badges(badges[:1], LAYOUTS["a6"])  # fonts registered, modules warm
    results = []
    for name in args.layout or list(LAYOUTS):
        _reset_peak()
        base = _rss_peak_kb()
        start = time.perf_counter()
        pdf = render_badges(badges, LAYOUTS[name])
        wall = time.perf_counter() - start
        result = {
            "layout": name,
            "badges": args.badges,
            "wall_s": round(wall, 2),
            "ms_per_badge": round(wall * 1000 / args.badges, 2),
            "pdf_mb": round(len(pdf) / 1e6, 2),
            "peak_rss_above_start_mb": round((_rss_peak_kb() - base) / 1024, 1),
        }
        results.append(result)
        print(
            f"{name:10} {args.badges} badges: {wall:6.2f} s ({result['ms_per_badge']} ms each), "
            f"PDF {result['pdf_mb']} MB, peak RSS +{result['peak_rss_above_start_mb']} MB"
        )
    print("RESULT " + json.dumps({"load_avg": os.getloadavg(), "runs": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
