"""Reference formulas a sweep's ``expect:`` can hold a measure against, evaluated on each
point's own resolved model (so a varied current or time constant enters by itself).

* ``lif_rate``: :func:`mnsim.analysis.theory.lif_rate` of the measured population's LIF cell
  driven by its constant current: ``i_offset`` plus every ``step_current`` on the population
  that is on for the whole run.
* ``siegert_rate``: :func:`mnsim.analysis.theory.siegert_rate` (with the Fourcaud-Brunel shift
  for the current's ``tau``) for one ``ou_current`` on the population, its mean plus the
  constant current above; ``sigma`` 0 gives ``lif_rate``.

Both need a current-based LIF cell (``IF_curr_exp``, ``IF_curr_alpha``) with one value of each
parameter for the whole population, and no other input (no projection, spike input or other
current into the population).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from mnsim.analysis.theory import lif_rate, ou_to_diffusion, siegert_rate
from mnsim.errors import MnsimError

if TYPE_CHECKING:
    from mnsim.spec.model import Model, Stimulus
    from mnsim.sweeps.measures import MeasureSpec

LIF_TYPES = ("IF_curr_exp", "IF_curr_alpha")
_PARAMS = ("cm", "tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac")


def _one(value, what: str) -> float:
    values = np.unique(np.asarray(value, dtype=float))
    if values.size != 1:
        raise MnsimError(f"the reference formula needs one {what} for the whole population, "
                         f"got {values.size} different values")
    return float(values[0])


def _cell(model: Model, population: str) -> dict[str, float]:
    cell = model.populations[population].cell
    if getattr(cell, "type", None) not in LIF_TYPES:
        raise MnsimError(f"the LIF reference formulas need a {' or '.join(LIF_TYPES)} "
                         f"population; '{population}' is {getattr(cell, 'type', '?')}")
    if any(p.post == population for p in model.projections.values()):
        raise MnsimError(f"the LIF reference formulas hold for an isolated neuron; "
                         f"'{population}' receives a projection")
    return {name: _one(cell.params[name], name) for name in (*_PARAMS, "i_offset")}


def _currents(model: Model, population: str, allowed: tuple[str, ...]
              ) -> tuple[float, list[Stimulus]]:
    """The constant current (nA) on ``population`` and its stimuli of the ``allowed`` types."""
    duration = model.simulation.duration_ms
    constant, others = 0.0, []
    for stim in model.stimuli.values():
        if stim.target != population:
            continue
        whole = stim.values.get("start", 0.0) <= 0.0 and stim.values.get(
            "stop", duration) >= duration
        if stim.type == "step_current" and whole:
            constant += _one(stim.values["amplitude"], f"amplitude of '{stim.name}'")
        elif stim.type in allowed:
            others.append(stim)
        else:
            raise MnsimError(f"the reference formula needs a constant input; stimulus "
                             f"'{stim.name}' ({stim.type}) on '{population}' is not one "
                             f"(a step_current must last the whole run)")
    return constant, others


def lif_reference(model: Model, measure: MeasureSpec) -> float:
    """The LIF rate (Hz) under the population's constant current."""
    cell = _cell(model, measure.population)
    current, _ = _currents(model, measure.population, ())
    return float(lif_rate(current + cell["i_offset"], cm_nF=cell["cm"],
                          tau_m_ms=cell["tau_m"], v_rest_mV=cell["v_rest"],
                          v_reset_mV=cell["v_reset"], v_thresh_mV=cell["v_thresh"],
                          tau_refrac_ms=cell["tau_refrac"]))


def siegert_reference(model: Model, measure: MeasureSpec) -> float:
    """The diffusion-approximation rate (Hz) under the population's OU current."""
    cell = _cell(model, measure.population)
    current, ou = _currents(model, measure.population, ("ou_current",))
    if len(ou) != 1:
        raise MnsimError(f"siegert_rate needs exactly one ou_current on "
                         f"'{measure.population}', found {len(ou)}")
    stim = ou[0]
    mean = current + cell["i_offset"] + _one(stim.values["mean"], "OU mean")
    sigma = _one(stim.values["sigma"], "OU sigma")
    if sigma == 0:
        return lif_reference(model, measure)
    mu, s = ou_to_diffusion(mean, sigma, tau_s_ms=stim.values["tau"], cm_nF=cell["cm"],
                            tau_m_ms=cell["tau_m"])
    return float(siegert_rate(mu, s, tau_m_ms=cell["tau_m"], v_rest_mV=cell["v_rest"],
                              v_reset_mV=cell["v_reset"], v_thresh_mV=cell["v_thresh"],
                              tau_refrac_ms=cell["tau_refrac"], tau_s_ms=stim.values["tau"]))


REFERENCES: dict[str, Callable[[Model, MeasureSpec], float]] = {
    "lif_rate": lif_reference,
    "siegert_rate": siegert_reference,
}


def reference_value(name: str, model: Model, measure: MeasureSpec) -> float:
    """Reference ``name`` for one point's model (Hz)."""
    return REFERENCES[name](model, measure)
