#!/usr/bin/env python
"""How fast, and in how much memory, hostile spreadsheets are refused.

    .venv/bin/python bench/xlsx_bombs.py [--cell-mb 1024] [--rows 5000000]

Builds each file with zipfile (the XML streamed into the archive, never
whole in memory), then reads it exactly as an import job does
(imports.parsing.open_table, then every row) until it is refused, and
prints the time to refuse and this process's peak RSS for that file
(VmHWM, reset before each file by writing 5 to /proc/self/clear_refs):

- a text cell of --cell-mb MB packed into about a megabyte (the ratio);
- the same cell with the ratio limit lifted (the unpacked-size limit);
- a 10,001-character cell in an ordinary sheet (the cell limit, streamed);
- --rows empty rows (the row limit, streamed);
- one row claiming position 1,048,576 (openpyxl would fill the gap);
- a sheet declaring entities (a "billion laughs").

The baseline RSS (Django set up, openpyxl imported) is printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a file: import from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cell-mb", type=int, default=1024)
    p.add_argument("--rows", type=int, default=5_000_000)
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import openpyxl  # noqa: F401 - in the baseline
    from django.conf import settings

    from imports.parsing import ImportFileError, open_table
    from imports.tests import hostile_files as hostile

    def many_rows():
        yield hostile.OPEN + hostile.row(1, "name", "email")
        for start in range(2, args.rows + 2, 10_000):
            yield b"".join(
                b'<row r="%d"/>' % i  # empty: 5,000,000 of them stay under the size limit
                for i in range(start, min(start + 10_000, args.rows + 2))
            )
        yield hostile.CLOSE

    cases = [
        ("huge cell (ratio)", lambda: hostile.huge_cell(args.cell_mb * 2**20), {}),
        (
            "huge cell (unpacked size)",
            lambda: hostile.huge_cell(args.cell_mb * 2**20),
            {"IMPORT_XLSX_MAX_RATIO": 10**9},
        ),
        ("long cell (10,001 chars)", lambda: hostile.huge_cell(10_001), {}),
        (f"{args.rows:,} rows", many_rows, {}),
        (
            "row 1,048,576",
            lambda: hostile.sheet(
                hostile.row(1, "name", "email"), hostile.row(1_048_576, "Ada", "a@b.com")
            ),
            {},
        ),
        ("billion laughs", lambda: hostile.BILLION_LAUGHS, {}),
    ]
    print(f"baseline RSS {rss_mb():.0f} MB")
    results = []
    with tempfile.TemporaryDirectory(prefix="rd-bench-bombs-") as folder:
        for label, build, overrides in cases:
            path = Path(folder) / "bomb.xlsx"
            path.write_bytes(hostile.xlsx(build()))
            missing = object()
            saved = {k: getattr(settings, k, missing) for k in overrides}
            for key, value in overrides.items():
                setattr(settings, key, value)
            reset_peak()
            started = time.perf_counter()
            try:
                table = open_table(path)
                rows = sum(1 for _ in table.rows())
                outcome = f"read {rows:,} rows (not refused)"
            except ImportFileError as exc:
                outcome = exc.message
            seconds = time.perf_counter() - started
            for key, value in saved.items():
                if value is missing:
                    delattr(settings, key)
                else:
                    setattr(settings, key, value)
            result = {
                "file": label,
                "packed_kb": path.stat().st_size // 1024,
                "seconds_to_refuse": round(seconds, 2),
                "peak_rss_mb": round(rss_mb("VmHWM"), 1),
                "outcome": outcome,
            }
            results.append(result)
            print(
                f"{label}: {result['packed_kb']:,} KB packed, refused in {seconds:.2f} s, "
                f"peak RSS {result['peak_rss_mb']} MB\n    {outcome}"
            )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
