"""Chapter 2 (time-delay networks): how much of a difference in NMSE the test years support.

- :func:`paired_bootstrap`: the difference in NMSE between two models on the same test years,
  with a bootstrap interval over those years (the years are resampled, the models are not
  retrained), and the share of the difference that the single largest year carries.
"""

from __future__ import annotations

import numpy as np

__all__ = ["paired_bootstrap"]


def paired_bootstrap(y, pred_a, pred_b, variance: float, *, n_boot: int = 2000,
                     seed: int = 0, level: float = 0.95, years=None) -> dict:
    """NMSE of model a minus NMSE of model b on the same targets, resampling the target years.

    ``y`` holds the targets ``(n,)``; ``pred_a`` and ``pred_b`` the predictions, ``(n,)`` or
    ``(seeds, n)`` (then each year's squared error is averaged over the seeds first). Each
    year contributes ``d_t = (err_a_t - err_b_t) / variance``, the NMSE difference is their
    mean, and the bootstrap draws ``n`` years with replacement ``n_boot`` times from a
    ``numpy`` generator seeded with ``seed``. Returns a dict with ``diff``, ``low`` and
    ``high`` (the percentile interval at ``level``), ``p_not_lower`` (the fraction of resamples
    in which a is not lower than b, ``diff >= 0``), ``top_year`` (index, or the year if
    ``years`` is given, of the largest ``|d_t|``) and ``top_share`` (that year's ``d_t / n``,
    its part of ``diff``).
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or y.size < 2:
        raise ValueError(f"expected targets y of shape (n,) with n >= 2, got {y.shape}")
    errs = []
    for name, p in (("pred_a", pred_a), ("pred_b", pred_b)):
        p = np.asarray(p, dtype=np.float64)
        if p.shape[-1:] != y.shape or p.ndim not in (1, 2):
            raise ValueError(f"expected {name} of shape (n,) or (seeds, n) with n = {y.size}, "
                             f"got {p.shape}")
        errs.append(((p - y) ** 2).reshape(-1, y.size).mean(0))  # (n,): seed-mean sq. error
    if not variance > 0:
        raise ValueError(f"expected a positive variance, got {variance!r}")
    if not 0 < level < 1 or int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"expected 0 < level < 1 and a positive n_boot, got {level}, {n_boot}")
    d = (errs[0] - errs[1]) / variance                              # (n,): per-year difference
    rng = np.random.default_rng(seed)
    boot = d[rng.integers(0, d.size, size=(int(n_boot), d.size))].mean(1)  # (n_boot,)
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    top = int(np.argmax(np.abs(d)))
    return {"diff": float(d.mean()), "low": float(low), "high": float(high),
            "p_not_lower": float(np.mean(boot >= 0)),
            "top_year": top if years is None else int(np.asarray(years)[top]),
            "top_share": float(d[top] / d.size)}
