"""Names, units and scopes of the measures an ``expect:`` entry or a comparison can use."""

from __future__ import annotations

from typing import NamedTuple


class Measure(NamedTuple):
    unit: str
    description: str
    # "neuron": one value per recorded neuron; "population": one value for the population;
    # "events": one value per event of the population's single recorded neuron
    scope: str


MEASURES: dict[str, Measure] = {
    "spike_count": Measure("1", "number of spikes in the run (per neuron)", "neuron"),
    "first_spike_time": Measure("ms", "time of the first spike (per neuron; NaN when silent)",
                                "neuron"),
    "mean_rate": Measure("Hz", "spike count divided by the duration (per neuron)", "neuron"),
    "isi_rate": Measure("Hz", "inverse of the mean inter-spike interval (per neuron; needs 2 "
                              "spikes)", "neuron"),
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
}

POPULATION_MEASURES = frozenset(name for name, m in MEASURES.items() if m.scope == "population")
