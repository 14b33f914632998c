"""Scores: answers on a numeric scale (a menu option's `score`), their mean, distribution and NPS.

A menu declares its scale by giving options a score (keys 1–5 → 1–5 for CSAT; keys 0–9
and * → 0–10 for an NPS-style question). Only answers with a scored key count. A scale
running from 0 to 10 also gets the Net Promoter Score: the share of promoters (9–10)
minus the share of detractors (0–6), in percentage points.
"""

from __future__ import annotations

from collections.abc import Mapping


def scale_of(options: list[dict]) -> dict[str, float]:
    """key → score, for the options of a (frozen) menu that carry one."""
    return {o["key"]: float(o["score"]) for o in options if o.get("score") is not None}


def is_nps(scale: Mapping[str, float]) -> bool:
    """Whether the scale is the 0–10 one NPS is defined on."""
    values = set(scale.values())
    return bool(values) and min(values) == 0 and max(values) == 10 and all(v == int(v) for v in values)


def summary(counts: Mapping[str, int], scale: Mapping[str, float]) -> dict:
    """Mean, count and (0–10 scales) NPS of answers given as key → count; keys off the scale are ignored."""
    n = sum(count for key, count in counts.items() if key in scale)
    total = sum(scale[key] * count for key, count in counts.items() if key in scale)
    result = {"n": n, "mean": round(total / n, 2) if n else None, "nps": None}
    if is_nps(scale):
        promoters = sum(c for k, c in counts.items() if k in scale and scale[k] >= 9)
        detractors = sum(c for k, c in counts.items() if k in scale and scale[k] <= 6)
        result.update(
            promoters=promoters,
            passives=n - promoters - detractors,
            detractors=detractors,
            nps=round(100 * (promoters - detractors) / n, 1) if n else None,
        )
    return result


def format_score(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
