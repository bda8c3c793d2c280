"""Names, units and scopes of the measures an ``expect:`` entry or a comparison can use."""

from __future__ import annotations

from typing import NamedTuple


class Measure(NamedTuple):
    unit: str
    description: str
    # "neuron": one value per recorded neuron; "population": one value for the population;
    # "events": one value per event of the population's single recorded neuron;
    # "location": one value at one recorded location of a multicompartment cell
    scope: str
    step: bool = False  # refers to a step_current (an expectation's `stimulus:`)
    pair: bool = False  # compares `location` with the first recorded location


_STEP = "the step_current `stimulus`"


MEASURES: dict[str, Measure] = {
    "spike_count": Measure("1", "number of spikes in the run (per neuron)", "neuron"),
    "first_spike_time": Measure("ms", "time of the first spike (per neuron; NaN when silent)",
                                "neuron"),
    "mean_rate": Measure("Hz", "spike count divided by the duration (per neuron)", "neuron"),
    "isi_rate": Measure("Hz", "inverse of the mean inter-spike interval (per neuron; needs 2 "
                              "spikes)", "neuron"),
    "steady_rate": Measure("Hz", "1 / mean inter-spike interval of the spikes in the second "
                                 "half of the window (per neuron; 0 when fewer than 2 spikes "
                                 "there: no sustained firing)", "neuron"),
    "resting_potential": Measure("mV", "mean v over `window` (default: before the first "
                                       "stimulus starts, else the whole run)", "neuron"),
    "population_rate": Measure("Hz", "spikes / (recorded neurons x window), silent neurons "
                                     "included", "population"),
    "cv_isi": Measure("1", "mean over neurons with >= 3 spikes of the coefficient of variation "
                           "of their inter-spike intervals (0 regular, 1 Poisson; NaN when "
                           "none qualifies)", "population"),
    "fano_factor": Measure("1", "variance / mean of the spike counts across recorded neurons "
                                "(0 when all equal)", "population"),
    "correlation": Measure("1", "mean pairwise Pearson correlation of spike counts in 5 ms "
                                "bins, first 200 firing neurons", "population"),
    "synchrony": Measure("1", "spike-contrast synchrony in [0, 1] (Elephant), first 200 firing "
                              "neurons: ~0.12-0.15 asynchronous, 1 all in volleys",
                         "population"),
    "gsyn_exc_increments": Measure("uS", "the rise of gsyn_exc at each synaptic event (one "
                                         "value per event, consecutive samples; record one "
                                         "neuron at dt)", "events"),
    # multicompartment cells: v at one recorded location (`location:`)
    "mean_v": Measure("mV", "mean v at `location` over `window` (default: the whole run)",
                      "location"),
    "peak_v": Measure("mV", "maximum of v at `location` over `window` (default: the whole run)",
                      "location"),
    "epsp_peak": Measure("mV", "maximum of v at `location` over `window` minus v at the "
                               "window's start (default window: from the first spike input on "
                               "the population to the end)", "location"),
    "deflection": Measure("mV", f"steady response of v at `location` to {_STEP}: mean v over "
                                f"the last 10 % of the step minus mean v over the same length "
                                f"just before it starts", "location", step=True),
    "input_resistance": Measure("MOhm", f"deflection / the amplitude of {_STEP}", "location",
                                step=True),
    "membrane_time_constant": Measure("ms", f"time from the start of {_STEP} until v at "
                                            f"`location` reaches baseline + (1 - 1/e) "
                                            f"deflection (linear between samples); tau_m for an "
                                            f"isopotential cell", "location", step=True),
    "attenuation": Measure("1", f"deflection at `location` / deflection at the first recorded "
                                f"location, for {_STEP}", "location", step=True, pair=True),
    "length_constant": Measure("um", "L / arccosh(1 / attenuation), L the path distance from "
                                     "the first recorded location to `location`: the sealed-end "
                                     "formula of a uniform cable injected at the first location "
                                     "and sealed at `location` (elsewhere an effective value)",
                               "location", step=True, pair=True),
    "conduction_velocity": Measure("m/s", "path distance from the first recorded location to "
                                          "`location` / the delay between their first upward "
                                          "crossings of 0 mV in `window` (linear between "
                                          "samples)", "location", pair=True),
}

POPULATION_MEASURES = frozenset(name for name, m in MEASURES.items() if m.scope == "population")
LOCATION_MEASURES = frozenset(name for name, m in MEASURES.items() if m.scope == "location")
