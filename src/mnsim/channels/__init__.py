"""Ion channels written once (docs/channels.md): a YAML description of a channel's gates,
checked on reading, becomes NMODL for NEURON (:func:`to_nmodl`) and equations for Brian2
(:func:`brian2_fragment`)."""

from mnsim.channels.equations import Fragment, brian2_fragment
from mnsim.channels.library import LIBRARY_DIR, get, library
from mnsim.channels.model import Q10, CalciumDynamics, Channel, Gate, Source, nmodl_name
from mnsim.channels.nmodl import to_nmodl
from mnsim.channels.read import read_channel

__all__ = ["LIBRARY_DIR", "CalciumDynamics", "Channel", "Fragment", "Gate", "Q10", "Source",
           "brian2_fragment", "get", "library", "nmodl_name", "read_channel", "to_nmodl"]
