"""Independent reference numbers for the shipped point-neuron models.

Integrates the Izhikevich (2003) and AdEx (Brette & Gerstner 2005; Naud et al. 2008) equations
with SciPy's adaptive solver at tight tolerances, with exact event detection for spikes and
piecewise integration across the current steps. It shares no code with mnsim's backends: the
numbers it prints are what ``models/izhikevich_patterns.yaml`` and ``models/adex_patterns.yaml``
expect, so that a backend is checked against a different integrator, not against itself.

Run: ``./dev python scripts/reference_point_neurons.py``
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

RTOL, ATOL = 1e-10, 1e-10


def simulate(rhs, reset, threshold, y0, t_stop, current_on, current_off, t_ref=0.0):
    """Spike times (ms) of a hybrid system: integrate ``rhs`` until ``y[0]`` reaches
    ``threshold``, apply ``reset``, hold v for ``t_ref``, continue."""
    spikes: list[float] = []
    t, y = 0.0, np.array(y0, dtype=float)
    breaks = sorted({0.0, current_on, current_off, t_stop})

    def event(_t, yy, *_):
        return yy[0] - threshold
    event.terminal, event.direction = True, 1

    while t < t_stop - 1e-12:
        t_next = min(b for b in breaks if b > t + 1e-12)
        current_is_on = current_on <= t < current_off
        sol = solve_ivp(rhs, (t, t_next), y, args=(current_is_on,), events=event,
                        rtol=RTOL, atol=ATOL, method="LSODA")
        if sol.t_events[0].size:
            t = float(sol.t_events[0][0])
            spikes.append(t)
            y = reset(sol.y_events[0][0])
            if t_ref > 0:  # v clamped: only w (if any) evolves; simple for t_ref = 0 models
                raise NotImplementedError("reference integrator assumes no refractory period")
        else:
            t, y = t_next, sol.y[:, -1]
    return np.array(spikes)


def izhikevich(a, b, c, d, amplitude, start, stop, duration, v0=-65.0):
    def rhs(_t, y, on):
        v, u = y
        i = amplitude if on else 0.0
        return [0.04 * v * v + 5 * v + 140 - u + i, a * (b * v - u)]

    def reset(y):
        return np.array([c, y[1] + d])

    return simulate(rhs, reset, 30.0, [v0, b * v0], duration, start, stop)


def adex(cm_pF, gl_nS, el, vt, delta_t, tau_w, a_nS, b_pA, v_reset, amplitude_pA, start,
         stop, duration, v_spike=-40.0):
    def rhs(_t, y, on):
        v, w = y
        i = amplitude_pA if on else 0.0
        dv = (-gl_nS * (v - el) + gl_nS * delta_t * np.exp((v - vt) / delta_t) - w + i) / cm_pF
        return [dv, (a_nS * (v - el) - w) / tau_w]

    def reset(y):
        return np.array([v_reset, y[1] + b_pA])

    return simulate(rhs, reset, v_spike, [el, 0.0], duration, start, stop)


IZHIKEVICH = {  # Izhikevich (2003) Fig. 2; I = 10 from 10 to 210 ms, 250 ms run
    "regular spiking": (0.02, 0.2, -65, 8),
    "fast spiking": (0.1, 0.2, -65, 2),
    "intrinsically bursting": (0.02, 0.2, -55, 4),
    "chattering": (0.02, 0.2, -50, 2),
}
ADEX = {  # Naud et al. (2008) Table 1; step from 20 to 520 ms, 600 ms run
    #                  C    gL   EL   VT  dT  tau_w  a    b    Vr   I
    "tonic": (200, 10, -70, -50, 2, 30, 2, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 300, 2, 60, -58, 500),
    "initial burst": (130, 18, -58, -50, 2, 150, 4, 120, -50, 400),
    "regular bursting": (200, 10, -58, -50, 2, 120, 2, 100, -46, 210),
}


def report(name: str, spikes: np.ndarray) -> None:
    isis = np.diff(spikes)
    print(f"  {name:24s} count {len(spikes):3d}  first {spikes[0]:.3f} ms  "
          f"isi_rate {1000 / isis.mean():.2f} Hz  first ISIs {np.round(isis[:4], 2)}")


def main() -> None:
    print("Izhikevich (2003), I = 10 (10 pA) from 10 to 210 ms:")
    for name, (a, b, c, d) in IZHIKEVICH.items():
        s = izhikevich(a, b, c, d, 10.0, 10.0, 210.0, 250.0)
        report(name, s)
    print("AdEx (Naud et al. 2008), step from 20 to 520 ms:")
    for name, params in ADEX.items():
        s = adex(*params, start=20.0, stop=520.0, duration=600.0)
        report(name, s)


if __name__ == "__main__":
    main()
