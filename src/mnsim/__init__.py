"""mnsim: write a neuron or circuit model once, run it on NEURON, Brian2 or NEST, and get the
results back as Neo objects.

The public API is this module only::

    import mnsim
    model = mnsim.load("hh_squid", set={"stimuli.step.amplitude": "6.5 uA/cm2"})
    block = mnsim.run(model, backend="nest")          # a neo.Block
    table = mnsim.compare("hh_squid")                  # every installed backend, side by side
    report = mnsim.validate("hh_squid", backend="brian2")
    cell = mnsim.load_morphology("mp_ma_40984_gc2.CNG.swc")  # SWC, ASC, H5, NeuroML2
    table = mnsim.sweep("hh_squid", vary={"stimuli.step.amplitude": "0:20:0.5 uA/cm2"},
                        measures=["steady_rate"])   # a pandas.DataFrame, on local processes

Simulators are imported only when a model runs, so ``import mnsim`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "backends", "compare", "load", "load_morphology", "load_results", "run",
           "save", "sweep", "validate"]

if TYPE_CHECKING:
    from mnsim.api import compare, load_results, run, save, sweep, validate
    from mnsim.backends import backends
    from mnsim.morphology import load_morphology
    from mnsim.spec import load


def __getattr__(name: str) -> Any:
    if name == "load":
        from mnsim.spec import load
        return load
    if name == "load_morphology":
        from mnsim.morphology import load_morphology
        return load_morphology
    if name == "backends":
        from mnsim.backends import backends
        return backends
    if name in ("run", "compare", "validate", "save", "load_results", "sweep"):
        from mnsim import api
        return getattr(api, name)
    raise AttributeError(f"module 'mnsim' has no attribute '{name}'")
