"""Named measures over a ``neo.Block``, built on Elephant. Analysis never knows which backend
produced a Block."""

from mnsim.analysis.cable import Step
from mnsim.analysis.measures import MEASURE_FUNCTIONS, measure
from mnsim.analysis.population import population_rate_signal

__all__ = ["MEASURE_FUNCTIONS", "Step", "measure", "population_rate_signal"]
