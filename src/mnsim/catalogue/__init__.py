"""The standard cell and stimulus types every backend translates from."""

from mnsim.catalogue.cells import CELL_TYPES, CellType, Param
from mnsim.catalogue.stimuli import STIMULUS_TYPES, StimulusType

__all__ = ["CELL_TYPES", "STIMULUS_TYPES", "CellType", "Param", "StimulusType"]
