"""Named measures over a ``neo.Block``, built on Elephant. Analysis never knows which backend
produced a Block."""

from mnsim.analysis.measures import MEASURE_FUNCTIONS, measure

__all__ = ["MEASURE_FUNCTIONS", "measure"]
