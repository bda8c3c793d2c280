"""The NEST backend (``mnsim.backends.nest.backend:NestBackend``); NEST is imported only when
a model is built or run."""
