"""The NEURON backend (:class:`~mnsim.backends.neuron.backend.NeuronBackend`).

NEURON itself is imported only when a model is built, so importing this package is cheap.
"""
