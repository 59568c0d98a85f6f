"""Derives the tables and polynomial coefficients of float32 power's fast path (csrc/simd/own_power.hpp)
and prints them as C++, with the errors they leave.

    python tools/fit_power_float32.py

log2 x = e + log2 c_j + log2(1 + r), x = 2^e m, m in [1, 2), j = the top 5 bits of m's fraction,
r = m invc_j - 1 with invc_j = 1 / c_j rounded to a multiple of 2^-6 (so that r is exact in float32:
|m I - 2^29| < 2^24 for m's 24 bits and the 6-bit integer I = 64 invc_j), c_0 = 1 and c_31 = 2 (so
that log2 x near 1 is r's alone). log(1 + r) = r - r^2/2 + r^3 P(r), P a degree-4 polynomial fitted
(weighted minimax, Lawson's iteration on a dense grid) to (log(1 + r) - r + r^2/2) / r^3 with weight
r^2: the error then counts relative to r.

2^f = 1 + f q(f) for |f| <= 1/64 (+ a margin for t's low part), q of degree 2 fitted likewise to
(2^f - 1) / f with weight f; the 32 values 2^(j/32) as float32 (with j << 18 taken off their
bits, for the scaling by 2^(n/32) to be one integer addition) and their relative rounding errors.
"""

from __future__ import annotations

import mpmath
import numpy as np

mpmath.mp.prec = 200
F32 = np.float32


def lawson(basis: np.ndarray, target: np.ndarray, weight: np.ndarray, steps: int = 400) -> np.ndarray:
    """Coefficients minimising max |weight * (basis @ c - target)| (Lawson's iteratively
    reweighted least squares, which converges to the minimax solution on the grid)."""
    w = np.full(len(target), 1.0 / len(target))
    c = np.zeros(basis.shape[1])
    for _ in range(steps):
        sw = np.sqrt(w)
        c = np.linalg.lstsq(basis * (sw * weight)[:, None], target * sw * weight, rcond=None)[0]
        err = np.abs(weight * (basis @ c - target))
        w = w * err
        w /= w.sum()
    return c


def c_float(v: np.float32) -> str:
    """A float32 as a C++ hexadecimal float literal (exact)."""
    if v == 0:
        return "0.0f"
    s = float(v).hex()  # 0x1.xxxxxp+e
    mantissa, exponent = s.split("p")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}p{int(exponent)}f"


def log_tables():
    invc, logc_high, logc_low, r_ranges = [], [], [], []
    for j in range(32):
        m_lo, m_hi = 1 + j / 32, 1 + (j + 1) / 32 - 2.0**-23
        if j == 0:
            v = 1.0
        elif j == 31:
            v = 0.5
        else:
            # the 6-bit invc whose r range is the most balanced around 0
            candidates = [i / 64 for i in range(32, 65)]
            v = min(candidates, key=lambda c: max(abs(m_lo * c - 1), abs(m_hi * c - 1)))
        for m in (m_lo, m_hi):  # r exact: |M I - 2^29| <= 2^24 at both ends (linear in M)
            assert abs(round(m * 2**23) * round(v * 64) - 2**29) <= 2**24, j
        invc.append(F32(v))
        exact = -mpmath.log(mpmath.mpf(v), 2)
        high = round(float(exact) * 2**16) / 2**16  # 16 fraction bits: e + high is exact
        logc_high.append(F32(high))
        logc_low.append(F32(float(exact - high)))
        r_ranges.append((m_lo * v - 1, m_hi * v - 1))
    return invc, logc_high, logc_low, r_ranges


def fit_log(r_lo: float, r_hi: float):
    r = np.concatenate([np.linspace(r_lo, r_hi, 20001), [r_lo, r_hi]])
    r = r[np.abs(r) > 1e-9]
    # (log(1 + r) - r + r^2/2) / r^3 by its series (exact to double precision for |r| <= 2^-5)
    target = sum((-1) ** (k + 1) * r ** (k - 3) / k for k in range(3, 40))
    basis = np.stack([r**i for i in range(5)], axis=1)
    c = lawson(basis, target, r**2)
    c32 = np.array([F32(v) for v in c], dtype=np.float64)
    err = np.max(np.abs(r**2 * (basis @ c32 - target)))
    return c32, err


def fit_exp2(bound: float):
    f = np.linspace(-bound, bound, 20001)
    f = f[f != 0]
    target = np.expm1(f * np.log(2)) / f
    basis = np.stack([f**i for i in range(3)], axis=1)
    c = lawson(basis, target, f)
    c32 = np.array([F32(v) for v in c], dtype=np.float64)
    err = np.max(np.abs(f * (basis @ c32 - target)))
    return c32, err


def main() -> None:
    invc, logc_high, logc_low, r_ranges = log_tables()
    r_lo = min(a for a, _ in r_ranges)
    r_hi = max(b for _, b in r_ranges)
    print(f"// r in [{r_lo:.6f}, {r_hi:.6f}]")
    # Fast2Sum(e + log2 c_j, C r'): |e + log2 c_j| >= |log2(1 + r)| wherever e + log2 c_j != 0
    for j in range(32):
        lo, hi = r_ranges[j]
        worst_l = max(abs(np.log2(1 + lo)), abs(np.log2(1 + hi)))
        for e in (0, -1):
            a = e + float(logc_high[j])
            if a != 0:
                assert abs(a) >= 1.01 * worst_l, (j, e, a, worst_l)
    p, p_err = fit_log(r_lo, r_hi)
    print(f"// log: |r^3 P - (log(1 + r) - r + r^2/2)| <= 2^{np.log2(p_err):.1f} |r|")
    print("P:", ", ".join(c_float(F32(v)) for v in p))
    bound = 1 / 64 + 2.0**-12
    q, q_err = fit_exp2(bound)
    print(f"// exp2: |1 + f q(f) - 2^f| <= 2^{np.log2(q_err):.1f} for |f| <= {bound}")
    print("q:", ", ".join(c_float(F32(v)) for v in q))
    c = mpmath.mpf(1) / mpmath.log(2)
    c_high = F32(float(c))
    print("C:", c_float(c_high), c_float(F32(float(c - mpmath.mpf(float(c_high))))))
    exp_high = [F32(float(mpmath.mpf(2) ** (mpmath.mpf(j) / 32))) for j in range(32)]
    # 2^(j/32) with j << 18 taken off its bits (adding n << 18 = (floor(n/32) << 23) + (j << 18)
    # then gives 2^(n/32)), and the relative error of its float32 value
    exp_scaled = [
        (np.array([h], np.float32).view(np.uint32) - np.uint32(j << 18)).view(np.float32)[0]
        for j, h in enumerate(exp_high)
    ]
    exp_low = [
        F32(float((mpmath.mpf(2) ** (mpmath.mpf(j) / 32) - mpmath.mpf(float(h))) / mpmath.mpf(float(h))))
        for j, h in enumerate(exp_high)
    ]
    for name, table in (
        ("invc", invc),
        ("logc_high", logc_high),
        ("logc_low", logc_low),
        ("exp2_scaled", exp_scaled),
        ("exp2_low_relative", exp_low),
    ):
        print(f"{name}:")
        for i in range(0, 32, 4):
            print("    " + " ".join(c_float(v) + "," for v in table[i : i + 4]))


if __name__ == "__main__":
    main()
