"""Brian2's own connection rules and random weights and delays (``native`` connectivity);
see :mod:`mnsim.backends.brian2.network`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends.brian2.synapses import Made, set_delays, set_values
from mnsim.errors import SimulationError
from mnsim.spec.model import Distribution

if TYPE_CHECKING:
    from mnsim.spec.model import Projection, Synapse


def native_rule(proj: Projection) -> bool:
    """Whether Brian2 has its own rule for ``proj``'s connector."""
    c = proj.connector
    if c.rule in ("fixed_indegree", "fixed_outdegree"):
        return not c.allow_multapses
    return c.rule in ("all_to_all", "one_to_one", "fixed_probability")


def connect_native(S: Any, proj: Projection) -> None:
    c = proj.connector
    no_self = proj.same_neurons and not c.allow_autapses
    if c.rule == "all_to_all":
        S.connect(condition="i != j" if no_self else True, namespace={})
    elif c.rule == "one_to_one":
        S.connect(condition=False) if no_self else S.connect(j="i", namespace={})
    elif c.rule == "fixed_probability":
        S.connect(condition="i != j" if no_self else True, p="p_connect",
                  namespace={"p_connect": float(c.p)})
    else:  # a sample of distinct partners; without autapses one fewer, shifted past oneself
        side, other = ("i", "j") if c.rule == "fixed_indegree" else ("j", "i")
        pool = f"N_{'pre' if side == 'i' else 'post'}"
        expr = (f"k + int(k >= {other}) for k in sample({pool} - 1, size=n_connect)"
                if no_self else f"k for k in sample({pool}, size=n_connect)")
        S.connect(**{side: expr}, namespace={"n_connect": int(c.n)})


def homogeneous(syn: Synapse, table: Any = None) -> tuple[float | None, float | None]:
    """The common weight and delay of a natively drawn projection (None when drawn)."""
    table = table or {}
    weight = (None if isinstance(syn.weight, Distribution) or "weight" in table
              else float(syn.weight))
    delay = (None if isinstance(syn.delay_ms, Distribution) or "delay" in table
             else float(syn.delay_ms))
    return weight, delay


def native_values(made: Made, syn: Synapse, dt_ms: float, table: Any = None,
                   layers: int = 1) -> None:
    """Weights and delays from Brian2's random functions (or the list's columns); the layers
    of a spike input (one per multiplicity) share their source's values."""
    table = table or {}
    S = made.S
    set_values(made, None, None, dt_ms)
    n = len(S) // layers
    if "weight" in table:
        S.w_[:] = np.asarray(table["weight"], float)
    elif isinstance(syn.weight, Distribution):
        S.w_[:] = np.tile(_brian2_draw(S, "w", "", 1.0, syn.weight, n), layers)
    elif made.type == "stdp":
        S.w_[:] = float(syn.weight)
    if "delay" in table:
        set_delays(made, np.asarray(table["delay"], float), dt_ms)
    elif isinstance(syn.delay_ms, Distribution):
        delay = _brian2_draw(S, "delay", "*ms", 1e3, syn.delay_ms, n)
        set_delays(made, np.tile(delay, layers), dt_ms)


_EXPRESSIONS = {"normal": "d_mu + d_sigma*randn()", "uniform": "d_low + (d_high - d_low)*rand()",
                "lognormal": "exp(d_mu + d_sigma*randn())"}


def _brian2_draw(S: Any, var: str, unit: str, scale: float, d: Distribution,
                 n: int) -> np.ndarray:
    """``n`` values of ``d`` drawn by Brian2 into ``var`` (in ``unit``) of the first ``n``
    synapses, values outside the bounds redrawn (NEST's redraw); returns them in the
    distribution's unit (the SI value times ``scale``)."""
    names = {f"d_{k}": float(v) for k, v in d.params.items()}
    S.namespace.update(names)
    expr = f"({_EXPRESSIONS[d.kind]}){unit}"
    index = np.arange(n)
    low, high = d.support()
    try:
        for _ in range(1000):
            getattr(S, var)[index] = expr
            values = np.asarray(getattr(S, var + "_")[:n]) * scale
            index = np.flatnonzero((values < low) | (values > high))
            if not index.size:
                return values
        raise SimulationError(f"could not draw {d.kind} values inside [{low}, {high}]: the "
                              f"bounds hold almost none of the distribution")
    finally:
        for key in names:
            S.namespace.pop(key)
