"""The dashboard's comparison of a campaign's script variants, from the stored rates cube:
per variant its contacts, RR1 and COOP1, and its answer shares (by label, so variants that
order the keys differently compare), each with a 95 % Wilson interval; and two chi-square
tests: does completing depend on the variant, and do the answers?"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.utils.translation import gettext as _

from campaigns.models import Campaign, ScriptVariant
from campaigns.opt_out import every_opt_out_key as opt_out_keys
from results import stats
from results.dispositions import (
    COMPLETE,
    DISPOSITIONS,
    KEY,
    LATEST,
    NOT_ELIGIBLE,
    OTHER,
    PARTIAL,
    REFUSAL,
    STATUS,
    VARIANT,
    WITHDRAWN_BY,
    N,
    outcome_of,
)


def _interval(successes: int, trials: int) -> dict:
    low_high = stats.wilson(successes, trials)
    share = round(100 * successes / trials, 1) if trials else None
    if low_high is None:
        return {"share": share, "low": None, "high": None, "text": "—"}
    low, high = round(100 * low_high[0], 1), round(100 * low_high[1], 1)
    return {"share": share, "low": low, "high": high, "text": f"{share}% ({low}–{high}%)"}


def _test(result: dict | None) -> dict | None:
    if result is None:
        return None
    return {**result, "p_text": f"{result['p_value']:.4f}" if result["p_value"] >= 0.0001 else "< 0.0001"}


def comparison(campaign: Campaign, cube: list[list]) -> dict | None:
    """The comparison, JSON-ready; None when the campaign is no experiment (fewer than two variants)."""
    names = list(ScriptVariant.objects.filter(campaign=campaign).order_by("name").values_list("name", flat=True))
    if len(names) < 2:
        return None
    snapshot = campaign.menu_snapshot or {}
    opt_outs = opt_out_keys(snapshot)
    groups: dict[str, Counter] = defaultdict(Counter)
    answers: dict[str, Counter] = defaultdict(Counter)
    labels: dict[str, None] = {}
    for r in cube:
        if not r[LATEST] or r[VARIANT] not in names:
            continue
        group = DISPOSITIONS[outcome_of(r[STATUS], r[KEY], r[WITHDRAWN_BY], opt_outs)].group
        groups[r[VARIANT]][group] += r[N]
        if group == COMPLETE:
            menu = snapshot.get("variants", {}).get(r[VARIANT], snapshot)
            label = {o["key"]: o["label"] for o in menu.get("options", [])}.get(r[KEY], r[KEY])
            answers[r[VARIANT]][label] += r[N]
            labels[label] = None
    rows = []
    for name in names:
        g = groups[name]
        cases = sum(n for group, n in g.items() if group != NOT_ELIGIBLE)
        cooperating = g[COMPLETE] + g[PARTIAL] + g[REFUSAL] + g[OTHER]
        done = sum(answers[name].values())
        rows.append(
            {
                "name": name,
                "cases": cases,
                "completes": g[COMPLETE],
                "RR1": _interval(g[COMPLETE], cases),
                "COOP1": _interval(g[COMPLETE], cooperating),
                "answers": [_interval(answers[name][label], done) | {"label": label} for label in labels],
            }
        )
    completing = [[row["completes"], row["cases"] - row["completes"]] for row in rows]
    answering = [[answers[name][label] for label in labels] for name in names]
    return {
        "variants": rows,
        "labels": list(labels),
        "completion_test": _test(stats.chi_square_test(completing)),
        "answer_test": _test(stats.chi_square_test(answering)),
        "note": _("95% Wilson intervals; chi-square tests of independence (a p-value under 0.05: a real difference)."),
    }
