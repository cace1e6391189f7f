"""The one module that knows each backend: nengo, NengoDL and nengo-loihi.

Networks declare a ``target``; everything that depends on which simulator runs
them (its synapse, its neuron types, how to import it) lives here.
"""

import functools
import importlib
import importlib.abc
import sys
import warnings

import nengo
import numpy as np
from nengo.exceptions import BuildError, ValidationError

BACKENDS = ("nengo", "dl", "loihi")

EXTRAS = {"dl": ("nengo_dl", "dl"), "loihi": ("nengo_loihi", "loihi")}

# nengo-loihi stores the synaptic decay in 12 bits (builder/discretize.py)
LOIHI_DECAY_BITS = 12


def check_backend(backend, attr="backend"):
    """Raise a ValidationError naming the valid backends if ``backend`` is unknown."""
    if backend not in BACKENDS:
        raise ValidationError(
            f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}",
            attr=attr,
        )
    return backend


def import_backend(backend):
    """Import the package behind ``backend``, or say which extra to install."""
    check_backend(backend)
    if backend == "nengo":
        return nengo
    module, extra = EXTRAS[backend]
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"backend {backend!r} needs {module}, which is not installed: "
            f'pip install "nengo-lmu[{extra}]"'
        ) from error


def loihi_decay_steps(tau, dt):
    """The integer decay nengo-loihi programs for a lowpass ``tau`` at step ``dt``.

    nengo-loihi computes ``d = 1 - exp(-dt/tau)`` and stores
    ``round(d * (2**12 - 1) - 1)``; the chip adds the 1 back, so each step
    multiplies the synaptic current by ``(2**12 - 1 - decay) / 2**12``.
    """
    max_decay = 2**LOIHI_DECAY_BITS - 1
    decay = 1.0 if tau == 0 else -np.expm1(-dt / tau)
    return int(np.clip(np.round(decay * max_decay - 1), 0, max_decay))


def synapse_decay(tau, dt, target="nengo"):
    """Per-step decay ``a`` of a lowpass ``y[k] = a y[k-1] + (1 - a) x[k]``.

    ``exp(-dt/tau)`` for nengo and NengoDL (their zero-order-hold lowpass);
    the 12-bit quantized decay that nengo-loihi really applies for
    ``target="loihi"``.

    Examples
    --------
    >>> round(synapse_decay(0.1, 0.001, "nengo"), 6)
    0.99005
    >>> synapse_decay(0.1, 0.001, "loihi")
    0.989990234375
    """
    check_backend(target, attr="target")
    if not dt > 0:
        raise ValidationError(f"must be positive (got {dt!r})", attr="dt")
    if target == "loihi":
        kept = 2**LOIHI_DECAY_BITS - 1 - loihi_decay_steps(tau, dt)
        return kept / 2**LOIHI_DECAY_BITS
    return 0.0 if tau == 0 else float(np.exp(-dt / tau))


def recurrent_solver(target):
    """The solver for a recurrent ensemble-to-ensemble connection on ``target``.

    On Loihi, decoded connections pass through decode neurons (extra spike
    noise, and a separate weight exponent per connection that small
    transforms cannot meet); neuron-to-neuron weights avoid both.
    """
    # light regularization: the recurrence is close to the identity, and the
    # decoding bias of a heavier one acts as a leak on the memory
    return nengo.solvers.LstsqL2(weights=target == "loihi", reg=0.01)


def input_synapse(synapse, target):
    """The synapse to put on a host-to-neurons input so that it is filtered once.

    nengo-loihi filters a host input on the host with the connection's synapse,
    sends it as spikes, and the chip filters it again with the one synapse that
    each block applies to all its inputs (the recurrent ``synapse`` here).  So
    on Loihi the host sends the raw input and the chip's filter does the rest.
    """
    return None if target == "loihi" else synapse


def unsupported_neuron_type(neuron_type, backend):
    """Why ``backend`` cannot run ``neuron_type``; None when it can.

    nengo and NengoDL run every nengo neuron type; nengo-loihi runs the types
    its builder has a build function for (LIF, SpikingRectifiedLinear,
    RegularSpiking and their Loihi variants).
    """
    if backend != "loihi" or neuron_type is None:
        return None
    builders = import_backend("loihi").builder.Builder.builders
    for cls in type(neuron_type).__mro__:
        if cls is nengo.neurons.NeuronType:
            break
        if cls in builders:
            return None
    return (
        f"neuron type {neuron_type} cannot run on the 'loihi' backend; use "
        "nengo.LIF, nengo.SpikingRectifiedLinear or their nengo_loihi.neurons "
        "Loihi variants"
    )


def check_neuron_types(network, backend):
    """Refuse, before building, ensembles whose neurons ``backend`` cannot run."""
    for ens in network.all_ensembles:
        reason = unsupported_neuron_type(ens.neuron_type, backend)
        if reason is not None:
            raise BuildError(f"{ens}: {reason}")


#: Factor by which each backend's PES is slower than nengo's for the same
#: nominal learning rate (measured: 1 everywhere once `.PESReadout` normalizes
#: its error, see below).
PES_BACKEND_GAIN = {"nengo": 1.0, "dl": 1.0, "loihi": 1.0}

#: nengo-loihi sends PES errors to the chip as ``round(error * pes_error_scale)``
#: clipped to [-127, 127] with ``Model.pes_error_scale = 100`` by default;
#: `.PESReadout` sends its error normalized to [-1, 1], so errors up to 1.27
#: times the expected range pass unclipped at a resolution of 1 % of it.
LOIHI_PES_ERROR_SCALE = 100.0


def pes_backend_gain(target):
    """How much to scale a nengo PES rate so that ``target`` learns as fast."""
    check_backend(target, attr="target")
    return PES_BACKEND_GAIN[target]


def probe_data(sim, probe):
    """``sim.data[probe]`` as (steps, dims); NengoDL adds a leading batch axis."""
    data = np.asarray(sim.data[probe])
    return data[0] if data.ndim == 3 else data

def install_loihi_training():
    """Let NengoDL train nengo-loihi's ``LoihiSpikingRectifiedLinear`` neurons
    through Loihi's own rate curve.

    A Loihi rectified-linear neuron fires whenever its voltage passes 1 and
    then resets to 0, so with input ``J`` it spikes every ``ceil(1 / (J dt))``
    steps.  Training uses that quantized rate forward and the rectified-linear
    slope backward (a straight-through estimator); inference spikes as the
    chip does.  nengo-loihi would take this builder from nengo-extras 0.5, whose
    version does not match NengoDL 3.6's batched signals.
    """
    nengo_dl = import_backend("dl")
    nengo_loihi = import_backend("loihi")
    import tensorflow as tf

    base = nengo_dl.neuron_builders.SpikingRectifiedLinearBuilder

    class LoihiRectifiedLinearBuilder(base):
        def step(self, J, dt, voltage):
            voltage = tf.nn.relu(voltage + J * dt)
            spiked = voltage > 1
            out = tf.cast(spiked, J.dtype) * self.alpha
            return out, tf.where(spiked, tf.zeros_like(voltage), voltage)

        def training_step(self, J, dt, **state):
            amplitude = 1.0 if self.amplitude is None else self.amplitude
            current = tf.nn.relu(J)
            # steps between spikes; inputs too weak to spike in 1e9 steps count as 0
            steps = tf.math.ceil(1.0 / (tf.maximum(current, 1e-9 / dt) * dt))
            quantized = tf.where(
                current > 0, 1.0 / (steps * dt), tf.zeros_like(current)
            )
            return amplitude * (current + tf.stop_gradient(quantized - current))

    impl = nengo_dl.neuron_builders.SimNeuronsBuilder.TF_NEURON_IMPL
    nengo_loihi.neurons.install_dl_builders()  # so that it does not replace ours
    impl[nengo_loihi.neurons.LoihiSpikingRectifiedLinear] = LoihiRectifiedLinearBuilder


# what nengo-loihi says about an LMU network that is built as intended: its
# blocks filter host inputs with the recurrent synapse (see `input_synapse`),
# and its neurons start at zero voltage
EXPECTED_WARNINGS = {
    "loihi": (
        r"tau_s is (currently|already set to)",
        r"NengoLoihi does not support initial values for 'voltage'",
    )
}


def build_lmu_network(model, network, *args, backend, delegate, **kwargs):
    """Build an LMU network for ``backend``: check its step, map it, then build.

    Registered with nengo's builder (used by nengo and NengoDL) and with
    nengo-loihi's, so that the same network object is mapped exactly for
    whichever simulator builds it, and refuses a simulator step it was not
    built for.
    """
    check_dt(network, network.dt, model.dt)
    check_neuron_types(network, backend)
    network.configure_for(backend)
    if backend == "loihi":
        check_loihi_axons(network)
    with warnings.catch_warnings():
        for message in EXPECTED_WARNINGS.get(backend, ()):
            warnings.filterwarnings("ignore", message=message)
        return delegate(model, network, *args, **kwargs)


#: Axons into or out of one Loihi core (nengo-loihi's limit).
LOIHI_MAX_AXONS = 4096


def check_loihi_axons(network):
    """Refuse, before a long build, a memory too large for Loihi's cores.

    With neuron-to-neuron recurrent weights each memory ensemble receives an
    axon from every neuron of its memory (``n_neurons * order`` of them).
    """
    solver = getattr(network, "solver", None) or recurrent_solver("loihi")
    if getattr(network, "neuron_type", None) is None or not solver.weights:
        return
    axons = network.n_neurons * network.order
    if axons > LOIHI_MAX_AXONS:
        raise BuildError(
            f"{network} needs {axons} axons into each memory ensemble "
            f"(n_neurons={network.n_neurons} x order={network.order}) but a Loihi "
            f"core has {LOIHI_MAX_AXONS}; use n_neurons <= "
            f"{LOIHI_MAX_AXONS // network.order}"
        )


def loihi_build_advice(network, error):
    """Explain, for LMU networks, the nengo-loihi build errors they can meet.

    None when ``error`` is not one of them.

    - "Could not find appropriate weight exponent": Loihi stores each
      connection's weights as 8-bit mantissas sharing one exponent.  A decoded
      connection goes through decode neurons whose weights are the decoders
      times the transform; when a recurrent transform entry of the memory is
      small next to the decoders, no exponent fits.  Neuron-to-neuron weights
      (the default `recurrent_solver` on Loihi) fold the transform into full
      weight matrices that do fit.
    - "axons (N) exceeded max (4096)": with neuron-to-neuron weights every
      memory neuron has an axon to every memory ensemble (and every ensemble
      receives from every neuron), so ``n_neurons * order`` must stay within a
      Loihi core's 4096 axons.
    """
    message = str(error)
    if "weight exponent" in message:
        return (
            f"nengo-loihi cannot represent the weights of {network}: {message}. "
            "A decoded recurrent connection (a solver with weights=False) has "
            "transform entries too small for the 8-bit weights that share one "
            "exponent on Loihi. Use neuron-to-neuron weights: leave solver=None "
            "(nengo.solvers.LstsqL2(weights=True, reg=0.01) on Loihi) or pass a "
            "solver with weights=True."
        )
    if "axons" in message and "exceeded max" in message:
        return (
            f"{network} does not fit Loihi's cores: {message}. With "
            "neuron-to-neuron recurrent weights each memory neuron needs an "
            "axon per memory ensemble, so n_neurons * order must stay within "
            "4096 per memory; use fewer neurons per dimension."
        )
    return None


def register_builders(network_class):
    """Make nengo, NengoDL and nengo-loihi build ``network_class`` through
    `.build_lmu_network` (nengo-loihi's as soon as it is imported)."""
    nengo.builder.Builder.register(network_class)(
        functools.partial(
            build_lmu_network,
            backend="nengo",
            delegate=nengo.builder.network.build_network,
        )
    )

    def register_loihi(nengo_loihi):
        nengo_loihi.builder.Builder.register(network_class)(
            functools.partial(
                build_lmu_network,
                backend="loihi",
                delegate=nengo_loihi.builder.network.build_network,
            )
        )

    when_imported("nengo_loihi", register_loihi)


def when_imported(module_name, callback):
    """Call ``callback(module)`` once ``module_name`` is imported (now if it is).

    Lets us hook into an optional backend without importing it ourselves.
    """
    if module_name in sys.modules:
        callback(sys.modules[module_name])
        return
    sys.meta_path.insert(0, _ImportHook(module_name, callback))


class _ImportHook(importlib.abc.MetaPathFinder):
    """Runs a callback right after one module has been executed."""

    def __init__(self, module_name, callback):
        self.module_name = module_name
        self.callback = callback

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.module_name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module
        callback = self.callback

        def exec_then_register(module):
            exec_module(module)
            callback(module)

        spec.loader.exec_module = exec_then_register
        return spec


def check_dt(network, built_for, runs):
    """Refuse to run ``network``, mapped for step ``built_for``, at step ``runs``."""
    if not np.isclose(runs, built_for, rtol=1e-9, atol=0):
        raise BuildError(
            f"{network} was built for dt={built_for} but the simulator runs "
            f"dt={runs}; build it with dt={runs} or run the simulator with "
            f"dt={built_for}"
        )


def declared_dt(network):
    """The ``dt`` declared by LMU networks inside ``network`` (None if none)."""
    dts = {
        net.dt
        for net in [network] + list(network.all_networks)
        if getattr(net, "dt", None) is not None
    }
    if len(dts) > 1:
        raise BuildError(
            f"the networks inside {network} were built for different steps "
            f"{sorted(dts)}; build every LMU network with the same dt"
        )
    return dts.pop() if dts else None


def Simulator(network, backend="nengo", dt=None, **kwargs):
    """Run ``network`` on the simulator behind ``backend``.

    Parameters
    ----------
    network : nengo.Network
    backend : {"nengo", "dl", "loihi"}
        ``nengo.Simulator``, ``nengo_dl.Simulator`` or ``nengo_loihi.Simulator``
        (the emulator, or Loihi hardware where NxSDK is installed).
    dt : float, optional
        Simulator step; defaults to the ``dt`` the LMU networks were built for.
    **kwargs
        Passed to the simulator.

    Examples
    --------
    >>> import nengo_lmu
    >>> with nengo.Network(seed=0) as model:
    ...     memory = nengo_lmu.LMUMemory(order=4, theta=0.5, neuron_type=None)
    ...     probe = nengo.Probe(memory.state)
    >>> with nengo_lmu.Simulator(model, progress_bar=False) as sim:
    ...     sim.run(0.1)
    >>> sim.data[probe].shape
    (100, 4)
    """
    check_backend(backend)
    built_for = declared_dt(network)
    if dt is None:
        dt = built_for or 0.001
    elif built_for is not None:
        # refused here too: a failed NengoDL build leaves nengo's precision changed
        check_dt(network, built_for, dt)
    module = import_backend(backend)
    check_neuron_types(network, backend)
    try:
        return module.Simulator(network, dt=dt, **kwargs)
    except BuildError as error:
        # nengo-loihi finds these after building, when it maps blocks to cores
        advice = loihi_build_advice(network, error) if backend == "loihi" else None
        if advice is None:
            raise
        raise BuildError(advice) from error
