"""The Brian2 fragments: their names and parameters, their steady states against the parsed
expressions, and single-compartment runs against NEURON's runs of the generated NMODL and
against the calcium shell's analytic solution."""

from pathlib import Path

import numpy as np
import pytest

from mnsim.channels import brian2_fragment, read_channel
from mnsim.channels.model import FARADAY
from mnsim.units import to_unit

DATA = Path(__file__).parent / "data"
# the names a fragment uses but never defines (the composer's), as constants of a test group
SHARED = """ena : volt (constant)
ek : volt (constant)
celsius : 1 (constant, shared)
"""
REVERSALS = {"ena": 50.0, "ek": -77.0}  # NEURON's defaults, mV


def mech(name):
    return read_channel(DATA / f"{name}.yaml")


def test_sodium_fragment():
    f = brian2_fragment(mech("sq_na"))
    assert (f.name, f.current, f.ion, f.reads_cai, f.writes_cai) == ("sq_na", "i_sq_na", "na",
                                                                     False, False)
    lines = f.equations.splitlines()
    assert lines[:3] == ["i_sq_na = g_sq_na*(ena - v) : amp/meter**2",
                         "g_sq_na = gnabar_sq_na*m_sq_na**3*h_sq_na : siemens/meter**2",
                         "qt_sq_na = 3.0**((celsius - 6.3)/10.0) : 1"]
    assert "dm_sq_na/dt = (m_inf_sq_na - m_sq_na)/m_tau_sq_na : 1" in lines
    assert ("m_alpha_sq_na = ((1/10)*((10)/exprel((-((v/mV) + 40))/(10))))/ms : hertz"
            in lines)
    assert "m_tau_sq_na = 1/(qt_sq_na*(m_alpha_sq_na + m_beta_sq_na)) : second" in lines
    assert lines[-1] == "gnabar_sq_na : siemens/meter**2 (constant)"
    assert f.parameters == {"gnabar": ("gnabar_sq_na", 1e4)}
    assert f.steady_state == {"m_sq_na": "m_inf_sq_na", "h_sq_na": "h_inf_sq_na"}


def test_other_fragments():
    leak = brian2_fragment(mech("sq_leak"))
    assert leak.ion is None and leak.steady_state == {}
    assert "i_sq_leak = g_sq_leak*(el_sq_leak - v) : amp/meter**2" in leak.equations
    assert leak.parameters == {"gl": ("gl_sq_leak", 1e4), "el": ("el_sq_leak", 1e-3)}
    sk = brian2_fragment(mech("sk"))
    assert sk.reads_cai and not sk.writes_cai and sk.ion == "k"
    assert "z_inf_sk = 1/(1 + ((kd_sk/mmolar)/(cai/mmolar))**(24/5)) : 1" in sk.equations
    assert "z_tau_sk = ((zTau_sk/ms))*ms : second" in sk.equations  # q10: false
    assert sk.parameters == {"gbar": ("gbar_sk", 1e4), "zTau": ("zTau_sk", 1e-3),
                             "kd": ("kd_sk", 1.0)}
    hva = brian2_fragment(mech("ca_hva"))
    assert "qt_ca_hva = 2.3**((34.0 - 21.0)/10.0) : 1" in hva.equations
    cdi = brian2_fragment(mech("ca_cdi"))
    assert "hc_ca_cdi = (kc_ca_cdi/mmolar)/((kc_ca_cdi/mmolar) + (cai/mmolar)) : 1" in \
        cdi.equations
    assert cdi.steady_state == {"m_ca_cdi": "m_inf_ca_cdi"}  # hc is no state
    shell = brian2_fragment(mech("ca_dyn"))
    assert shell.writes_cai and shell.current is None and shell.ion is None
    assert shell.equations.splitlines()[0] == (
        "dcai/dt = -ica*gamma_ca_dyn/(2*(96485.33212*coulomb/mole)*depth_ca_dyn) - "
        "(cai - minCai_ca_dyn)/decay_ca_dyn : mmolar")
    assert shell.parameters == {"gamma": ("gamma_ca_dyn", 1.0), "decay": ("decay_ca_dyn", 1e-3),
                                "depth": ("depth_ca_dyn", 1e-6), "minCai": ("minCai_ca_dyn",
                                                                            1.0)}
    assert shell.steady_state == {"cai": "5e-05*mmolar"}


# -- Brian2 ----------------------------------------------------------------------------------------
def build(brian2, names, extra, n=1, method="exponential_euler", initial=None):
    """A NeuronGroup of the fragments of ``names`` plus ``extra`` equations, every parameter
    at its catalogue default, ``initial`` values set, then cai and the gates at theirs."""
    mechs = [mech(name) for name in names]
    frags = [brian2_fragment(m) for m in mechs]
    group = brian2.NeuronGroup(n, extra + SHARED + "".join(f.equations for f in frags),
                               method=method)
    for m, f in zip(mechs, frags):
        for pname, (var, si) in f.parameters.items():
            p = m.param(pname)
            setattr(group, var + "_", to_unit(p.default, p.unit) * si)
    group.celsius = 6.3
    for name, value in REVERSALS.items():
        setattr(group, name + "_", value * 1e-3)
    for name, value in (initial or {}).items():
        setattr(group, name, value)
    for f in sorted(frags, key=lambda f: not f.writes_cai):  # cai first: gates may read it
        for var, expr in f.steady_state.items():
            setattr(group, var, expr)
    return group, mechs, frags


@pytest.fixture
def brian2():
    brian2 = pytest.importorskip("brian2")
    brian2.prefs.codegen.target = "numpy"
    brian2.start_scope()
    return brian2


@pytest.mark.requires_brian2
# Brian2's numpy exprel evaluates expm1(x)/x on both branches of its where(): at ca_hva's
# singular point (-27 mV) that divides by zero in the branch it then discards
@pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")
def test_steady_states_equal_the_parsed_expressions(brian2):
    volts = np.array([-90.0, -65.0, -40.0, -27.0, -10.0, 0.0, 30.0])
    cai = np.array([1e-5, 5e-5, 1e-4, 4.3e-4, 1e-3, 5e-3, 2e-2])
    names = ["sq_na", "sq_k", "ca_hva", "sk", "ca_cdi"]
    extra = "v : volt (constant)\ncai : mmolar (constant)\neca : volt (constant)\n"
    group, mechs, frags = build(brian2, names, extra, n=len(volts))
    group.v = volts * brian2.mV
    group.cai = cai * brian2.mM
    for f in frags:  # again, at these v and cai
        for var, expr in f.steady_state.items():
            setattr(group, var, expr)
    brian2.Network(group).run(brian2.defaultclock.dt)  # instantaneous gates: once per step
    values = {"v": volts, "cai": cai, "celsius": 6.3}
    checked = 0
    for m in mechs:
        values.update({p: to_unit(m.param(p).default, m.param(p).unit)
                       for p in m.expression_params})
        for g in m.gates:
            if g.form == "alpha_beta":
                a, b = g.alpha.evaluate(values), g.beta.evaluate(values)
                inf, tau = a / (a + b), 1 / (a + b)
                if m.q10 is not None:
                    temperature = m.q10.temperature_degC or 6.3
                    tau = tau / m.q10.factor ** ((temperature - m.q10.reference_degC) / 10)
            else:
                inf = np.broadcast_to(g.inf.evaluate(values), volts.shape)
                tau = None if g.form == "instantaneous" else g.tau.evaluate(values)
            var = f"{g.name}_{m.name}"
            np.testing.assert_allclose(getattr(group, var)[:], inf, rtol=1e-12, err_msg=var)
            if tau is not None:
                np.testing.assert_allclose(getattr(group, f"{g.name}_tau_{m.name}")[:] / brian2.ms,
                                           np.broadcast_to(tau, volts.shape), rtol=1e-12)
            checked += 1
    assert checked == 8


@pytest.mark.requires_brian2
def test_gates_integrate_by_exponential_euler_through_the_singularity(brian2):
    """v starts exactly where vtrap's denominator vanishes: exprel keeps every value finite."""
    group, _, _ = build(brian2, ["sq_na", "sq_k"], "v : volt (constant)\n", n=2,
                        initial={"v": [-40.0, -55.0] * brian2.mV})  # m's, n's singular points
    monitor = brian2.StateMonitor(group, ["m_sq_na", "n_sq_k"], record=True)
    brian2.defaultclock.dt = 0.025 * brian2.ms
    brian2.Network(group, monitor).run(1 * brian2.ms)
    assert np.isfinite(monitor.m_sq_na).all() and np.isfinite(monitor.n_sq_k).all()
    # at constant v the gates stay at their steady state; vtrap(0, 10) = 10, so
    # alpha_m(-40 mV) = 1/ms and alpha_n(-55 mV) = 0.1/ms
    assert monitor.m_sq_na[0, -1] == pytest.approx(1 / (1 + 4 * np.exp(-25 / 18)), rel=1e-9)
    assert monitor.n_sq_k[1, -1] == pytest.approx(0.1 / (0.1 + 0.125 * np.exp(-10 / 80)),
                                                  rel=1e-9)


def crossings(t, v):
    idx = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0))
    return np.array([t[i] - v[i] / (v[i + 1] - v[i]) * (t[i + 1] - t[i]) for i in idx])


def membrane(currents):
    return (f"dv/dt = ({' + '.join(currents)} + I)/Cm : volt\n"
            "I : amp/meter**2 (constant)\nCm : farad/meter**2 (constant)\n")


def cell(brian2, names, extra, record, initial=None):
    """One compartment of the channels ``names``, 1 uF/cm2, 10 uA/cm2, from v = -65 mV, in
    the NeuronGroup ``build`` makes, integrated by mnsim's exponential midpoint rule."""
    from mnsim.backends.brian2.integrator import ExponentialMidpointStateUpdater

    frags = [brian2_fragment(mech(n)) for n in names]
    eqs = membrane([f.current for f in frags if f.current]) + extra
    initial = {"v": -65 * brian2.mV, "I": 10 * brian2.uA / brian2.cm ** 2,
               "Cm": 1 * brian2.uF / brian2.cm ** 2, **(initial or {})}
    group, _, _ = build(brian2, names, eqs, method=ExponentialMidpointStateUpdater(),
                        initial=initial)
    brian2.defaultclock.dt = 0.01 * brian2.ms
    monitor = brian2.StateMonitor(group, record, record=0)
    return group, monitor


@pytest.mark.requires_brian2
@pytest.mark.requires_neuron
def test_hh_fragments_reproduce_neurons_spike_times(brian2, neuron_run):
    """sq_na + sq_k + sq_leak in a NeuronGroup (numpy, mnsim's exponential midpoint rule,
    dt 0.01 ms) against NEURON's run of the generated NMODL (Crank-Nicolson, dt 0.01 ms):
    10 uA/cm2, 50 ms, 6.3 degC. Measured: within 0.0053 ms."""
    names = ["sq_na", "sq_k", "sq_leak"]
    group, monitor = cell(brian2, names, "", ["v"])
    brian2.Network(group, monitor).run(50 * brian2.ms)
    spikes = crossings(monitor.t / brian2.ms, monitor.v[0] / brian2.mV)
    reference = neuron_run("hh")["generated"]
    assert len(spikes) == len(reference) == 4
    np.testing.assert_allclose(spikes, reference, atol=0.01, rtol=0)  # brief: 0.05


@pytest.mark.requires_brian2
@pytest.mark.requires_neuron
def test_calcium_cell_reproduces_neuron(brian2, neuron_run):
    """hh channels + ca_hva + sk + ca_dyn: eca follows Nernst from cai (a run_regularly at the
    start of each step, as NEURON's ca_ion); spike times and cai against NEURON's run."""
    names = ["sq_na", "sq_k", "sq_leak", "ca_hva", "sk", "ca_dyn"]
    extra = ("ica = -i_ca_hva : amp/meter**2\n"  # outward total calcium current
             "eca : volt\n")
    nernst = "8.314462618*(celsius + 273.15)/(2*96485.33212)*log(2*mmolar/cai)*volt"
    group, monitor = cell(brian2, names, extra, ["v", "cai"], initial={
        "gbar_ca_hva": 5e-5 * brian2.siemens / brian2.cm ** 2,  # as run_neuron.py's "cell"
        "gbar_sk": 2e-4 * brian2.siemens / brian2.cm ** 2})
    group.eca = nernst
    group.run_regularly(f"eca = {nernst}", when="start")
    brian2.Network(group, monitor).run(60 * brian2.ms)
    ref = neuron_run("cell")
    spikes = crossings(monitor.t / brian2.ms, monitor.v[0] / brian2.mV)
    assert len(spikes) == len(ref["spikes"]) == 4
    np.testing.assert_allclose(spikes, ref["spikes"], atol=0.02, rtol=0)  # measured 0.007
    cai = monitor.cai[0] / brian2.mM
    ref_cai = np.array(ref["cai"])[:len(cai)]
    assert ref_cai.max() > 4 * 5e-5  # calcium entered
    np.testing.assert_allclose(cai, ref_cai, rtol=0.005)  # measured 0.0011


@pytest.mark.requires_brian2
def test_calcium_shell_against_its_analytic_solution(brian2):
    """A constant outward calcium current: cai relaxes exponentially to
    minCai - ica gamma decay / (2 F depth) (exponential Euler is exact here)."""
    extra = "ica : amp/meter**2 (constant)\n"
    group, _, _ = build(brian2, ["ca_dyn"], extra, n=2)
    group.ica = [-0.014, 0.0] * brian2.mA / brian2.cm ** 2
    assert np.allclose(group.cai[:] / brian2.mM, 5e-5)
    monitor = brian2.StateMonitor(group, "cai", record=True)
    brian2.defaultclock.dt = 0.025 * brian2.ms
    brian2.Network(group, monitor).run(100 * brian2.ms)
    t = monitor.t / brian2.ms
    steady = 1e-4 - 10000 * -0.014 * 0.05 * 80.0 / (2 * FARADAY * 0.1)
    for row, target in ((0, steady), (1, 1e-4)):
        want = target + (5e-5 - target) * np.exp(-t / 80.0)
        np.testing.assert_allclose(monitor.cai[row] / brian2.mM, want, rtol=1e-9)
