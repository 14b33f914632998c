"""The little statistics the script-experiment comparison needs, in pure Python (scipy is not a
dependency): Wilson score intervals for proportions and Pearson's chi-square test of
independence, its p-value from the regularized upper incomplete gamma function."""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of a proportion (None without trials): unlike p ± z·se it
    stays inside [0, 1] and behaves with few trials or a proportion near 0 or 1."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _upper_gamma_regularized(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a): a series below a + 1, a continued fraction (Lentz) above."""
    if x <= 0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(1000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def chi_square_sf(statistic: float, df: int) -> float:
    """P(X ≥ statistic) for X chi-square with `df` degrees of freedom."""
    return _upper_gamma_regularized(df / 2, statistic / 2)


def chi_square_test(table: list[list[int]]) -> dict | None:
    """Pearson's test of independence of a contingency table (rows × columns of counts).
    Rows and columns that are all zero are left out; None when fewer than two of either remain."""
    rows = [row for row in table if sum(row)]
    columns = [j for j in range(len(rows[0]) if rows else 0) if sum(row[j] for row in rows)]
    if len(rows) < 2 or len(columns) < 2:
        return None
    rows = [[row[j] for j in columns] for row in rows]
    total = sum(map(sum, rows))
    row_sums = [sum(row) for row in rows]
    column_sums = [sum(row[j] for row in rows) for j in range(len(columns))]
    statistic = 0.0
    for i, row in enumerate(rows):
        for j, observed in enumerate(row):
            expected = row_sums[i] * column_sums[j] / total
            statistic += (observed - expected) ** 2 / expected
    df = (len(rows) - 1) * (len(columns) - 1)
    return {"statistic": round(statistic, 3), "df": df, "p_value": chi_square_sf(statistic, df)}
