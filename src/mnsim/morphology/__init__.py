"""Reconstructed and inline cell geometry: :func:`load_morphology` (SWC, Neurolucida ASC, H5
via MorphIO; NeuroML2 via libNeuroML) and the :class:`Morphology` every backend builds from.

Importing this package is light: MorphIO, libNeuroML and matplotlib are imported only when a
file is loaded or a figure drawn.
"""

from mnsim.morphology.load import load_morphology
from mnsim.morphology.model import SECTION_TYPES, Morphology, Section

__all__ = ["SECTION_TYPES", "Morphology", "Section", "load_morphology"]
