"""The Rallpacks (Bhalla, Bilitch & Bower 1992) on NEURON and Brian2: the shipped models
rallpack1/2/3 against the reference traces that ship inside the installed brian2 package
(brian2/tests/rallpack_data/), read at test time. The error is Brian2's and the Rallpacks':
RMS of the difference over the trace, relative to the reference's range."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import mnsim
from mnsim.results import signal

CASES = {  # model -> (reference files at the first and second recorded location, RMS bound)
    "rallpack1": (("ref_cable.0", "ref_cable.x"), 0.001),
    "rallpack2": (("ref_branch.0", "ref_branch.x"), 0.0025),
    "rallpack3": (("ref_axon.0.neuron", "ref_axon.x.neuron"), 0.001),
}


def reference(name: str) -> np.ndarray:
    spec = importlib.util.find_spec("brian2")  # requires_brian2: the traces ship with it
    return np.loadtxt(Path(spec.origin).parent / "tests" / "rallpack_data" / name)


@pytest.mark.requires_brian2  # the reference traces ship with brian2, whatever the backend
@pytest.mark.parametrize("backend", [pytest.param("neuron", marks=pytest.mark.requires_neuron),
                                     pytest.param("brian2", marks=pytest.mark.requires_brian2)])
@pytest.mark.parametrize("model", list(CASES))
def test_rallpack_matches_the_reference_traces(model, backend):
    files, bound = CASES[model]
    block = mnsim.run(model, backend)
    report = mnsim.validate(model, block=block)
    assert report.checks and report.passed, report.table()
    population = next(iter(mnsim.load(model).record))
    v = signal(block, population, "v")
    times = v.times.rescale("s").magnitude
    traces = v.rescale("V").magnitude
    for column, name in enumerate(files):
        ref = reference(name)
        assert ref.shape == (len(times), 2)
        np.testing.assert_allclose(times, ref[:, 0], atol=1e-9)
        scale = np.ptp(ref[:, 1])
        error = np.sqrt(np.mean((traces[:, column] - ref[:, 1]) ** 2)) / scale
        assert error < bound, f"{model} on {backend}, {name}: relative RMS error {error:.2e}"
