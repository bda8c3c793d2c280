"""Brian2 backend of mnsim; the class is ``mnsim.backends.brian2.backend.Brian2Backend``."""
