"""Projections on NEST: connections and synapse models.

Shared mode (the default): the connections :func:`mnsim.draw.connections` draws are made with
one ``nest.Connect(pre_ids, post_ids, "one_to_one", syn_spec={weight: array, delay: array})``
per projection. Native mode: NEST's own rules on the populations' slices
(``pairwise_bernoulli``, ``fixed_indegree``, ``fixed_outdegree``, ``fixed_total_number``,
``all_to_all``, ``one_to_one``), with ``nest.random`` weights and delays (``nest.math.redraw``
for ``min``/``max``), seeded by the kernel's ``rng_seed``. NEST has no rule for explicit lists
(``from_list``) nor for ``fixed_total_number`` without multapses: those use the mnsim draw in
both modes. Autapses: as in the draw, ``allow_autapses: false`` matters only when a projection
connects a slice to the same slice.

Weights go to NEST in pA, nS or mV with NEST's sign (negative for every inhibitory input;
:func:`~mnsim.backends.nest.translate.weight_factor`). Models with a port per receptor
(iaf_bw_2001: AMPA, NMDA, GABA) get the port as the connection's ``receptor_type``
(:func:`receptor_spec`); NEST itself refuses NMDA connections from other models, which the
model checks exclude (``Receptor.sources``). Plastic synapses get their own copy of
the NEST model per projection (``CopyModel``), so their parameters never leak into another
projection and their connections can be found again (STDP: :mod:`mnsim.backends.nest.plasticity`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim import draw
from mnsim.backends.nest.recording import as_array
from mnsim.backends.nest.translate import CELLS, nest_synapse, weight_factor
from mnsim.spec.model import Distribution, Model, Projection, Quantity, Synapse

if TYPE_CHECKING:
    from types import ModuleType

_NATIVE_RULES = {"all_to_all": {}, "one_to_one": {}, "fixed_probability": {"p": "p"},
                 "fixed_indegree": {"indegree": "n"}, "fixed_outdegree": {"outdegree": "n"},
                 "fixed_total_number": {"N": "n"}}
_NEST_RULE = {"fixed_probability": "pairwise_bernoulli"}


def synapse_model(nest: ModuleType, syn: Synapse, factor: float, name: str) -> str:
    """The NEST synapse model for ``syn``: a per-projection copy for plastic types."""
    base, defaults = nest_synapse(syn, factor)
    if not defaults:
        return base
    nest.CopyModel(base, name, defaults)
    return name


def parameter(nest: ModuleType, value: Quantity, factor: float = 1.0) -> Any:
    """A float, or a ``nest.random`` parameter for a :class:`Distribution` (values outside
    ``min``/``max`` redrawn), times ``factor``."""
    if not isinstance(value, Distribution):
        return float(value) * factor
    p = value.params
    if value.kind == "normal":
        param = nest.random.normal(mean=p["mu"], std=p["sigma"])
    elif value.kind == "uniform":
        param = nest.random.uniform(min=p["low"], max=p["high"])
    else:
        param = nest.random.lognormal(mean=p["mu"], std=p["sigma"])
    if value.min is not None or value.max is not None:
        low = -np.inf if value.min is None else value.min
        high = np.inf if value.max is None else value.max
        param = nest.math.redraw(param, min=low, max=high)
    return param * factor if factor != 1.0 else param


def set_status(nest: ModuleType, nodes: Any, params: dict[str, Any] | list[dict[str, Any]]
               ) -> None:
    """``NodeCollection.set`` without its overhead: ``set`` reads the status of every node
    (to check that it is local, which it always is without MPI) and turns per-node lists into
    per-node dictionaries in Python. Here: a dict of scalars and per-node arrays, or a list of
    per-node dicts, handed to the kernel call that ``set`` ends with."""
    if isinstance(params, dict):
        per_node = {k: np.asarray(v).tolist() for k, v in params.items() if np.ndim(v) == 1}
        shared = {k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()
                  if np.ndim(v) == 0}
        params = ([{**shared, **dict(zip(per_node, row))} for row in zip(*per_node.values())]
                  if per_node else [shared])
    try:
        nest.ll_api.nestkernel.llapi_set_nc_status(nodes._datum, params)
    except AttributeError:  # other NEST internals: the public, slower way
        nodes.set(params)


def get_values(nodes: Any, key: str) -> np.ndarray:
    """One float per node of ``nodes`` from NEST's status. NaN for the nodes another MPI rank
    simulates: NEST gives None for them, and leaves the key out when none is local."""
    try:
        values = nodes.get(key)
    except KeyError:
        if np.asarray(nodes.get("local")).any():
            raise
        return np.full(len(nodes), np.nan)
    return as_array(values, len(nodes))


def node_ids(nodes: Any) -> np.ndarray:
    """The node ids of a NodeCollection made by one ``Create`` call (or a slice of one):
    contiguous, so computed from the first (``tolist`` reads every node's status)."""
    return nodes[0].global_id + np.arange(len(nodes), dtype=np.int64)


def receptor_spec(nest: ModuleType, cell_type: str, receptor: str) -> dict[str, int]:
    """``{"receptor_type": port}`` for a model with a port per receptor, else ``{}``."""
    table = CELLS[cell_type]
    if not table.receptor_ports:
        return {}
    ports = nest.GetDefaults(table.model, "receptor_types")
    return {"receptor_type": int(ports[table.receptor_ports[receptor]])}


def connect_arrays(nest: ModuleType, pre: np.ndarray, post: np.ndarray, model: str,
                   weight: np.ndarray, delay: np.ndarray,
                   extra: dict[str, Any] | None = None) -> None:
    """One ``Connect`` for explicit pairs of node ids (``extra``: more of the syn_spec)."""
    if pre.size:
        nest.Connect(pre, post, "one_to_one", syn_spec={
            "synapse_model": model, "weight": weight, "delay": delay, **(extra or {})})


def uses_draw(proj: Projection, native: bool) -> bool:
    """Whether a projection is built from the mnsim draw (always for rules NEST lacks)."""
    c = proj.connector
    return (not native or c.rule == "from_list"
            or (c.rule == "fixed_total_number" and not c.allow_multapses))


def connect_projections(nest: ModuleType, model: Model, nodes: dict[str, Any]
                        ) -> dict[str, tuple[str, float]]:
    """Create every projection; returns stdp projection -> (NEST synapse model, factor)."""
    native = model.connectivity == "native"
    ids = {name: node_ids(nc) for name, nc in nodes.items()}
    stdp = {}
    for i, (name, proj) in enumerate(model.projections.items()):
        post_type = model.populations[proj.post].cell.type
        factor = weight_factor(post_type, proj.receptor)
        port = receptor_spec(nest, post_type, proj.receptor)
        syn_name = synapse_model(nest, proj.synapse, factor, f"mnsim_projection_{i}")
        if proj.synapse.type == "stdp":
            stdp[name] = (syn_name, factor)
        if uses_draw(proj, native):
            conn = draw.connections(model, name)
            connect_arrays(nest, ids[proj.pre][conn.pre], ids[proj.post][conn.post], syn_name,
                           conn.weight * factor, conn.delay_ms, port)
            continue
        c = proj.connector
        rule = {"rule": _NEST_RULE.get(c.rule, c.rule),
                **{key: getattr(c, attr) for key, attr in _NATIVE_RULES[c.rule].items()},
                "allow_autapses": c.allow_autapses or not proj.same_neurons}
        if c.rule.startswith("fixed_"):
            rule["allow_multapses"] = c.allow_multapses
        pre = nodes[proj.pre][proj.pre_range[0]:proj.pre_range[1]]
        post = nodes[proj.post][proj.post_range[0]:proj.post_range[1]]
        nest.Connect(pre, post, rule, syn_spec={
            "synapse_model": syn_name, "weight": parameter(nest, proj.synapse.weight, factor),
            "delay": parameter(nest, proj.synapse.delay_ms), **port})
    return stdp
