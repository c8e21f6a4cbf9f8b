"""registrants.lifecycle's scan plans as SQL literals, for the statements
that apply a scan in the database (scans.py)."""

from __future__ import annotations

from functools import lru_cache

from registrants import lifecycle


@lru_cache(maxsize=8)
def sql_plan(mode: str) -> dict[str, list]:
    """lifecycle.scan_from_statuses(mode) as parallel arrays for the SQL hot
    path: the from-statuses the UPDATE accepts and, per from-status, each
    step (number, from, to) and the final status."""
    plan = lifecycle.scan_from_statuses(mode)
    out: dict[str, list] = {
        "from_statuses": [],
        "p_from": [],
        "p_no": [],
        "p_step_from": [],
        "p_step_to": [],
        "p_final": [],
    }
    for start, steps in plan.items():
        out["from_statuses"].append(start.value)
        previous = start.value
        for number, step in enumerate(steps):
            out["p_from"].append(start.value)
            out["p_no"].append(number)
            out["p_step_from"].append(previous)
            out["p_step_to"].append(step.value)
            out["p_final"].append(steps[-1].value)
            previous = step.value
    return out


def sql_literal(name: str) -> str:
    """A lifecycle identifier (a status, a mode, a source) as an SQL literal.
    They are never input; anything that would need quoting is refused
    rather than quoted."""
    if not name.replace("_", "").isalpha() or not name.isascii():
        raise ValueError(f"not a lifecycle identifier: {name!r}")
    return f"'{name}'"


def sql_plan_values(mode: str, *, with_mode: bool = False) -> list[str]:
    """sql_plan(mode), one SQL VALUES row of literals per step: (from
    status, step number, step from, step to, final status), led by the mode
    itself when `with_mode`."""
    plan = sql_plan(mode)
    lead = f"{sql_literal(mode)}, " if with_mode else ""
    return [
        f"({lead}{sql_literal(a)}, {int(n)}, {sql_literal(b)}, {sql_literal(c)}, {sql_literal(d)})"
        for a, n, b, c, d in zip(
            plan["p_from"],
            plan["p_no"],
            plan["p_step_from"],
            plan["p_step_to"],
            plan["p_final"],
            strict=True,
        )
    ]


def accepted_statuses(mode: str) -> str:
    """The statuses a scan in `mode` changes, as a comma-separated list of literals."""
    return ", ".join(sql_literal(s) for s in sql_plan(mode)["from_statuses"])
