"""Names and units of the measures an ``expect:`` entry or a comparison can use."""

from __future__ import annotations

# measure -> (unit, what it is)
MEASURES: dict[str, tuple[str, str]] = {
    "spike_count": ("1", "number of spikes in the run (per neuron)"),
    "first_spike_time": ("ms", "time of the first spike (per neuron; NaN when silent)"),
    "mean_rate": ("Hz", "spike count divided by the duration (per neuron)"),
    "isi_rate": ("Hz", "inverse of the mean inter-spike interval (per neuron; needs 2 spikes)"),
    "resting_potential": ("mV", "mean v over `window` (default: before the first stimulus "
                                "starts, else the whole run)"),
}
