"""Reference formulas for the leaky integrate-and-fire neuron, computed independently of any
simulator (NumPy and SciPy only): the reference numbers of the shipped LIF sweeps.

The neuron: ``tau_m dV/dt = -(V - v_rest) + R I(t)``, ``R = tau_m / cm``; a spike when V
reaches ``v_thresh``, then V is held at ``v_reset`` for ``tau_refrac``.

* :func:`lif_rate`: a constant current I. The time from reset to threshold is
  ``tau_m ln((V_inf - v_reset) / (V_inf - v_thresh))`` with ``V_inf = v_rest + R I``, so the
  rate is ``1 / (tau_refrac + tau_m ln(...))`` when ``V_inf > v_thresh`` and 0 otherwise.
* :func:`siegert_rate`: the diffusion approximation, Siegert's (1951) mean first-passage time
  (Ricciardi 1977; Brunel 2000, eq. 21) for ``tau_m dV/dt = -(V - v_rest) + mu + sigma
  sqrt(tau_m) xi(t)`` (``xi`` white noise: the free membrane potential has mean ``v_rest +
  mu`` and standard deviation ``sigma / sqrt(2)``)::

      1 / rate = tau_refrac + tau_m sqrt(pi) * integral from y_r to y_t of exp(u^2) (1 + erf u) du
      y_t = (v_thresh - v_rest - mu) / sigma,   y_r = (v_reset - v_rest - mu) / sigma

  With a synaptic or Ornstein-Uhlenbeck current of finite correlation time ``tau_s`` the
  formula holds to first order in ``sqrt(tau_s / tau_m)`` once both bounds are shifted up by
  ``alpha / 2 sqrt(tau_s / tau_m)``, ``alpha = sqrt(2) |zeta(1/2)| = 2.0652`` (Fourcaud and
  Brunel 2002, eq. 4.4; Brunel et al. 2001).
* :func:`ou_to_diffusion`: an Ornstein-Uhlenbeck current (mean ``mu_I``, stationary standard
  deviation ``sigma_I``, time constant ``tau_s``) as the ``mu`` and ``sigma`` above: ``mu = R
  mu_I`` and ``sigma = R sigma_I sqrt(2 tau_s / tau_m)`` (the white noise with the same
  integral of the autocorrelation, ``2 sigma_I^2 tau_s``).

Units are in the argument names (mV, ms, nA, nF, Hz); arrays broadcast.
"""

from __future__ import annotations

import math

import numpy as np

#: sqrt(2) |zeta(1/2)|, Fourcaud and Brunel (2002): the shift of the bounds for coloured noise
FB_ALPHA = math.sqrt(2.0) * 1.4603545088095868


def lif_rate(i_nA, *, cm_nF: float, tau_m_ms: float, v_rest_mV: float, v_reset_mV: float,
             v_thresh_mV: float, tau_refrac_ms: float) -> np.ndarray:
    """Firing rate (Hz) of a LIF neuron driven by a constant current ``i_nA``.

    Parameters
    ----------
    i_nA
        The current (nA), a number or an array.
    cm_nF, tau_m_ms, v_rest_mV, v_reset_mV, v_thresh_mV, tau_refrac_ms
        The neuron (PyNN's ``IF_curr_exp`` names).

    Returns
    -------
    numpy.ndarray
        Hz, 0 where the steady-state potential ``v_rest + R I`` does not exceed threshold.

    Examples
    --------
    >>> round(float(lif_rate(0.5, cm_nF=0.25, tau_m_ms=20, v_rest_mV=-70, v_reset_mV=-70,
    ...                      v_thresh_mV=-50, tau_refrac_ms=2)), 2)
    63.04
    """
    r_mohm = tau_m_ms / cm_nF  # ms / nF = MOhm
    v_inf = v_rest_mV + r_mohm * np.asarray(i_nA, dtype=float)  # MOhm * nA = mV
    above = v_inf > v_thresh_mV
    safe = np.where(above, v_inf, v_thresh_mV + 1.0)
    period = tau_refrac_ms + tau_m_ms * np.log((safe - v_reset_mV) / (safe - v_thresh_mV))
    return np.where(above, 1000.0 / period, 0.0)


def ou_to_diffusion(mean_nA, sigma_nA, *, tau_s_ms: float, cm_nF: float,
                    tau_m_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """``mu`` and ``sigma`` (mV) of the diffusion approximation of an Ornstein-Uhlenbeck
    current (mean, stationary standard deviation, time constant ``tau_s_ms``)."""
    r_mohm = tau_m_ms / cm_nF
    mu = r_mohm * np.asarray(mean_nA, dtype=float)
    sigma = r_mohm * np.asarray(sigma_nA, dtype=float) * math.sqrt(2.0 * tau_s_ms / tau_m_ms)
    return mu, sigma


def siegert_rate(mu_mV, sigma_mV, *, tau_m_ms: float, v_rest_mV: float, v_reset_mV: float,
                 v_thresh_mV: float, tau_refrac_ms: float,
                 tau_s_ms: float = 0.0) -> np.ndarray:
    """Stationary firing rate (Hz) of a LIF neuron in the diffusion approximation.

    Parameters
    ----------
    mu_mV
        Mean input, as the shift of the mean free membrane potential above ``v_rest_mV``.
    sigma_mV
        Noise amplitude: the free membrane potential's standard deviation is
        ``sigma_mV / sqrt(2)`` (white noise). Must be > 0.
    tau_m_ms, v_rest_mV, v_reset_mV, v_thresh_mV, tau_refrac_ms
        The neuron.
    tau_s_ms
        Correlation time of the noise; > 0 applies the Fourcaud-Brunel shift of the bounds
        (valid for ``tau_s_ms << tau_m_ms``).

    Returns
    -------
    numpy.ndarray
        Hz (0 where the threshold is more than ~25 sigma away: the integral overflows there
        and the rate is below 1e-270 Hz).

    Examples
    --------
    >>> round(float(siegert_rate(15.0, 5.0, tau_m_ms=20, v_rest_mV=-70, v_reset_mV=-70,
    ...                          v_thresh_mV=-50, tau_refrac_ms=2)), 3)
    8.008
    """
    from scipy.integrate import quad
    from scipy.special import erfcx

    mu, sigma = np.broadcast_arrays(np.asarray(mu_mV, dtype=float),
                                    np.asarray(sigma_mV, dtype=float))
    if np.any(sigma <= 0):
        raise ValueError("siegert_rate needs sigma_mV > 0 (without noise use lif_rate)")
    shift = FB_ALPHA / 2.0 * math.sqrt(tau_s_ms / tau_m_ms) if tau_s_ms > 0 else 0.0
    out = np.empty(mu.shape)
    for i in np.ndindex(mu.shape):
        y_t = (v_thresh_mV - v_rest_mV - mu[i]) / sigma[i] + shift
        y_r = (v_reset_mV - v_rest_mV - mu[i]) / sigma[i] + shift
        if y_t > 25.0:
            out[i] = 0.0
            continue
        # exp(u^2) (1 + erf u) = erfcx(-u): finite for every u, no cancellation for u << 0
        points = [p for p in (0.0,) if y_r < p < y_t]
        integral, _ = quad(lambda u: erfcx(-u), y_r, y_t, points=points or None,
                           epsabs=0.0, epsrel=1e-10, limit=200)
        out[i] = 1000.0 / (tau_refrac_ms + tau_m_ms * math.sqrt(math.pi) * integral)
    return out
