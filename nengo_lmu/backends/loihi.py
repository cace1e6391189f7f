"""nengo-loihi: the Loihi emulator here, Loihi hardware where NxSDK is installed.

What the chip does differently from nengo, and what LMU networks must do
about it:

- Its synapses decay by a 12-bit integer per step (`synapse_decay`), so the
  memory is mapped for that decay, not ``exp(-dt/tau)``.
- Each block filters all its inputs with one synapse, host inputs included:
  a host value that drives neurons is sent unfiltered (`input_synapse`).
- Host values reach the chip as spikes, one per axon per step at most:
  values that drive neurons are sent by host neurons of their own, several
  phase-staggered on/off pairs per value (`host_relay`), and saturate at 1
  (`host_relay_scale`).
- Weights are 8-bit mantissas sharing one exponent per connection: a decoded
  recurrence's small transform entries find no exponent, so recurrent
  connections use neuron-to-neuron weights (`recurrent_solver`); and a core
  has 4096 input axons (`check_network`).
- The weights into one block share one grid, a few steps per recurrent
  weight: nengo-lmu's build `model` rounds them onto it with error feedback
  (`nengo_lmu.backends.loihi_weights`) before nengo-loihi rounds each to
  nearest.
- Its neurons are `nengo_loihi.neurons` types (`spiking_types`).
- The emulator cannot reset: sequences run as side-by-side copies
  (`run_sequences`).
"""

import sys

import nengo
import numpy as np
from nengo.exceptions import BuildError

from nengo_lmu.backends import loihi_weights
from nengo_lmu.backends.base import Backend
from nengo_lmu.neurons import rate_type, rectified_linear_tuning

#: nengo-loihi stores the synaptic decay in 12 bits (builder/discretize.py).
DECAY_BITS = 12
#: Input axons of one Loihi core, and the neurons one core holds.
MAX_AXONS = 4096
MAX_CORE_NEURONS = 1024
#: Sequences run side by side in one emulator (it cannot reset).
COPIES = 20
#: On/off pairs of host neurons sending each host value to the chip
#: (`LoihiBackend.host_relay`).
HOST_PAIRS = 4


class LoihiBackend(Backend):
    name = "loihi"
    package = "nengo_loihi"
    extra = "loihi"
    description = "nengo_loihi.Simulator (the Loihi emulator, or Loihi hardware)"

    expected_warnings = (
        # a memory block's inputs all take its recurrent synapse (see
        # `input_synapse`): nengo-loihi says so once per block
        r"tau_s is (currently|already set to)",
        # LMU neurons start at rest, which is Loihi's only initial state
        r"NengoLoihi does not support initial values for 'voltage'",
        # the low bits of a connection's small weights, below the exponent it
        # shares with its largest (the memory's accuracy figures include it)
        r"Lost \d+ extra bits in weight rounding",
        # nengo-loihi 1.1 fills its integer compartment arrays with NaN before
        # setting them, once per simulator
        r"invalid value encountered in cast",
    )

    # --- the simulator ------------------------------------------------------

    def prepare_process(self):
        """Import nengo-loihi without TensorFlow, for a process that runs only
        Loihi jobs (the command line's memory and delay jobs).

        nengo-loihi imports TensorFlow whenever it is installed, only to give
        NengoDL its neuron builders; that costs seconds and prints TensorFlow's
        log lines.  While nengo-loihi is imported here, ``tensorflow`` and
        ``nengo_dl`` are marked unavailable in ``sys.modules`` (Python's way
        of saying a module cannot be imported); the marks are removed
        afterwards.  A process that has imported either already keeps them.
        """
        if self.package in sys.modules or "tensorflow" in sys.modules:
            return self.import_module()
        hidden = ("tensorflow", "nengo_dl")
        saved = {name: sys.modules.get(name) for name in hidden}
        try:
            sys.modules.update(dict.fromkeys(hidden))
            return self.import_module()
        finally:
            for name, module in saved.items():
                if module is None:
                    del sys.modules[name]
                else:
                    sys.modules[name] = module

    def simulator_options(self, dt, pes_error_scale=None):
        """``model``: a nengo-loihi build model whose PES errors are scaled by
        ``pes_error_scale`` before the chip rounds and clips them to
        [-127, 127] (nengo-loihi's default is 100)."""
        model = self.model(dt)
        if pes_error_scale is not None:
            model.pes_error_scale = pes_error_scale
        return {"model": model}

    def model(self, dt):
        """The build model nengo-lmu gives nengo-loihi: its own, with
        nengo-lmu's recurrent weights put on the chip's 8-bit grid before it
        rounds them (`nengo_lmu.backends.loihi_weights`)."""
        self.import_module()
        return loihi_weights.model_class()(dt=dt)

    def build_levers(self):
        return {
            "weights rounded to nearest (nengo-loihi's own build model)": {
                "simulator_model": nearest_rounding_model
            }
        }

    def weight_notes(self, network):
        if not network.weight_connections():
            return []
        return [
            "  recurrent weights: rounded onto each Loihi block's 8-bit grid with "
            "error feedback when built by nengo_lmu.Simulator (or "
            "nengo_loihi.Simulator(..., model=LoihiBackend().model(dt))); "
            "nengo-loihi's own model rounds each to nearest"
        ]

    def simulator(self, network, dt, **kwargs):
        """``nengo_loihi.Simulator`` with nengo-lmu's build `model` (unless
        ``model`` is given), and `HostSpikes` relays kept on the host
        (`host_relays_off_chip`)."""
        if kwargs.get("model") is None:
            kwargs["model"] = self.model(dt)
        return super().simulator(host_relays_off_chip(network), dt, **kwargs)

    def builder_and_delegate(self):
        nengo_loihi = sys.modules[self.package]
        return nengo_loihi.builder.Builder, nengo_loihi.builder.network.build_network

    # --- mapping --------------------------------------------------------------

    def synapse_decay(self, tau, dt):
        """The decay nengo-loihi programs: it stores
        ``D = round((2**12 - 1) (1 - exp(-dt/tau)) - 1)`` and the chip keeps
        ``(2**12 - 1 - D) / 2**12`` of the current each step.

        Examples
        --------
        >>> LoihiBackend().synapse_decay(0.1, 0.001)
        0.989990234375
        """
        return (2**DECAY_BITS - 1 - decay_steps(tau, dt)) / 2**DECAY_BITS

    def input_synapse(self, synapse):
        """None: nengo-loihi filters a host input on the host with the
        connection's synapse, sends it as spikes, and the chip filters it
        again with the one synapse each block applies to all its inputs (the
        recurrent one); sent raw, it is filtered once, on the chip."""
        return None

    def recurrent_solver(self, reg):
        """Neuron-to-neuron weights: a decoded connection goes through decode
        neurons (more spike noise) whose weights, the decoders times a small
        transform entry, find no shared exponent."""
        return nengo.solvers.LstsqL2(weights=True, reg=reg)

    def host_relay_scale(self, host_scale):
        """nengo-loihi encodes host values as spikes of on/off neurons that
        saturate at 1: values are sent divided by ``host_scale``."""
        return float(host_scale)

    #: A host value reaches the chip's neurons, and their spikes the host,
    #: each a step later than on nengo (measured on the emulator:
    #: tests/test_backends.py).
    round_trip_steps = 2

    def host_relay(self, pre, host_scale, dt):
        """A `HostSpikes` ensemble on the host sending ``pre``'s values,
        divided by ``host_scale``, to the chip as spikes.

        nengo-loihi's own path (a node's values into neurons) encodes each
        value by one on/off pair firing up to once per step from the same
        phase: a value held for ``n`` steps is known to about one spike in
        ``n``.  `HostSpikes` has `HOST_PAIRS` pairs per value (fewer where a
        core's axons would not fit them), their phases spread evenly, so
        their summed spikes know it that many times better; they fire in
        proportion to ``|value|`` (none at 0), not at half their rate always.
        `simulator` keeps them on the host.

        (An LMU memory's input is left to nengo-loihi: continuous and
        filtered by the memory's synapse, it gains nothing from a finer count;
        measured on DESIGN.md's memory, one pair gives 0.0259 / 0.0409 /
        0.0300 for seeds 0-2 against 0.0263 / 0.0418 / 0.0294, and four pairs
        0.040 for seed 0.)
        """
        scale = self.host_relay_scale(host_scale)
        # two axons a pair, and half a core's axons left for other inputs
        fit = MAX_AXONS // (4 * pre.size_out)
        pairs = int(np.clip(fit, 1, HOST_PAIRS))
        relay = HostSpikes(pre.size_out, pairs, dt, label="to neurons")
        nengo.Connection(pre, relay, transform=1.0 / scale, synapse=None)
        return relay.neurons, scale * relay.decoders

    def constant_source(self, dt):
        """One neuron on the chip firing at every step, driven by its bias
        alone (twice the current that fires it every step: Loihi's neurons
        fire at most once a step, so the bias's rounding cannot slow it), of
        amplitude ``dt``: its output is 1 at every step, a constant that no
        host value carries (a filter from rest sees it rise as it would a
        host node's).

        Examples
        --------
        >>> import nengo
        >>> with nengo.Network():
        ...     source = LoihiBackend().constant_source(0.001)
        >>> source.ensemble.n_neurons, source.ensemble.neuron_type.amplitude
        (1, 0.001)
        """
        rate = nengo.RectifiedLinear()
        neuron = nengo.Ensemble(
            1,
            1,
            neuron_type=self.spiking_type(rate, amplitude=dt),
            gain=np.ones(1),  # it has no input
            bias=np.full(1, 2.0 / dt),
            label="one (on chip)",
        )
        return neuron.neurons

    def neuron_rates(self, neuron_type, currents, dt):
        """nengo-loihi's rate curve for the chip's neurons: they reset to zero
        at each spike, so a constant input ``J`` fires a rectified-linear one
        every ``ceil(1 / (J dt))`` steps."""
        currents = np.asarray(currents, dtype=float)
        rates = self.import_module().neurons.loihi_rates
        flat = rates(neuron_type, currents.ravel(), 1.0, 0.0, dt)
        return np.reshape(flat, currents.shape)

    def saturating_drive(self, neuron_type, gain, dt):
        """Loihi's neurons fire at most once a step: the smallest drive at
        which their rate curve (`neuron_rates`) reaches its ceiling,
        ``1 / (gain dt)`` for rectified-linear neurons.

        Examples
        --------
        >>> from nengo_loihi.neurons import LoihiSpikingRectifiedLinear
        >>> drive = LoihiBackend().saturating_drive(
        ...     LoihiSpikingRectifiedLinear(), gain=200.0, dt=0.001)
        >>> round(drive, 6)
        5.0
        """

        def rate(drive):
            return float(self.neuron_rates(neuron_type, [gain * drive], dt)[0])

        top = 1e6 / (gain * dt)
        ceiling = rate(top)
        if rate(top / 2) < ceiling:
            return None
        low, high = 0.0, top
        for _ in range(80):  # bisection: rates never fall as the drive grows
            middle = (low + high) / 2
            low, high = (low, middle) if rate(middle) >= ceiling else (middle, high)
        return high

    # --- neurons --------------------------------------------------------------

    def spiking_types(self):
        neurons = self.import_module().neurons
        return {
            nengo.RectifiedLinear: neurons.LoihiSpikingRectifiedLinear,
            nengo.LIFRate: neurons.LoihiLIF,
        }

    def memory_tuning(self, neuron_type):
        """Bounded gains for every neuron type on the chip, LIF curves spread
        wider than rectified-linear ones.

        A neuron's gain grows without bound as its intercept nears 1 (the
        tuning LIF curves want in floating point): its weights dominate its
        block's 8-bit grid, the others round to a few steps, and the memory
        runs away.  Rectified-linear neurons keep nengo's tuning (intercepts
        within +-0.3, 120-160 Hz); Loihi's reset them to zero when they spike,
        so they lag (`nengo_lmu.neurons.RESET_LAG`), which principle 3 and the
        readout compensate: 0.027 against 0.041 on DESIGN.md's memory.  LIF
        curves (LIF, LoihiLIF) need their steep onsets out of the state's
        range: intercepts up to 0.8 (not 1), 115-190 Hz, a radius of 3.5
        standard deviations and the 0.5 s synapse (1 s lowers the block's
        weight exponent: a grid twice as coarse).  With the weights rounded
        for the chip (`loihi_weights`) and the readout compensating their
        lead, this holds DESIGN.md's window to 0.034-0.047 (seeds 0-2) at
        22-24 Hz, against 0.099 with the rectified-linear tuning.
        """
        if isinstance(rate_type(neuron_type), nengo.LIFRate):
            tuning = super().memory_tuning(neuron_type)
            tuning.update(
                max_rates=nengo.dists.Uniform(115, 190),
                intercepts=nengo.dists.Uniform(-0.5, 0.8),
                synapse=0.5,
                headroom=3.5,
                readout="decoded",
                reason=(
                    "Loihi, LIF curves: intercepts up to 0.8 (bounded gains on the "
                    "chip's 8-bit grid), 115-190 Hz, radius 3.5 std, 0.5 s synapse"
                    + (
                        f", the {tuning['lead'] * 1e3:g} ms lead compensated"
                        if tuning["lead"]
                        else ""
                    )
                ),
            )
            return tuning
        tuning = rectified_linear_tuning(reset_to_zero=True)
        tuning["reason"] = (
            "Loihi: bounded gains (intercepts within +-0.3, 120-160 Hz) keep the "
            "recurrent weights above the chip's 8-bit weight step; the neurons "
            f"reset to zero, and their {-tuning['lead'] * 1e3:g} ms lag is "
            "compensated"
        )
        return tuning

    def unsupported(self, neuron_type):
        """nengo-loihi runs the neuron types it has a build function for
        (LIF, SpikingRectifiedLinear, RegularSpiking and their Loihi types)."""
        if neuron_type is None:
            return None
        builders = self.import_module().builder.Builder.builders
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

    def prepare_dl_training(self):
        """Let NengoDL train `nengo_loihi.neurons.LoihiSpikingRectifiedLinear`
        neurons through Loihi's own rate curve.

        A Loihi rectified-linear neuron fires whenever its voltage passes 1
        and then resets to 0, so with input ``J`` it spikes every
        ``ceil(1 / (J dt))`` steps.  Training uses that quantized rate forward
        and the rectified-linear slope backward (a straight-through estimator);
        inference spikes as the chip does.  (nengo-loihi would take this
        builder from nengo-extras 0.5, whose version does not match NengoDL
        3.6's batched signals.)
        """
        import nengo_dl
        import tensorflow as tf

        neurons = self.import_module().neurons
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
                # steps between spikes; currents too weak to spike in 1e9 steps
                # count as silent
                steps = tf.math.ceil(1.0 / (tf.maximum(current, 1e-9 / dt) * dt))
                quantized = tf.where(
                    current > 0, 1.0 / (steps * dt), tf.zeros_like(current)
                )
                return amplitude * (current + tf.stop_gradient(quantized - current))

        impl = nengo_dl.neuron_builders.SimNeuronsBuilder.TF_NEURON_IMPL
        neurons.install_dl_builders()  # first, so that it does not replace ours
        impl[neurons.LoihiSpikingRectifiedLinear] = LoihiRectifiedLinearBuilder

    # --- checks and advice ----------------------------------------------------

    def check_network(self, network):
        """Refuse neuron types the chip cannot run and ensembles whose input
        axons exceed a core's, before a long build."""
        super().check_network(network)
        for ens, axons, sources in input_axons(network):
            if axons <= MAX_AXONS:
                continue
            raise BuildError(
                f"{ens} needs {axons} input axons ({sources}) but a Loihi core "
                f"has {MAX_AXONS}: with neuron-to-neuron weights every pre "
                f"neuron needs an axon into it. {fitting_size(ens, network)}"
            )

    def build_advice(self, network, error):
        """Explain the nengo-loihi build errors that LMU networks can meet.

        - "Could not find appropriate weight exponent": Loihi stores each
          connection's weights as 8-bit mantissas sharing one exponent.  A
          decoded connection goes through decode neurons whose weights are
          the decoders times the transform; when a recurrent transform entry
          is small next to the decoders, no exponent fits.
        - "axons (N) exceeded max (4096)": a core's input axons.
        - "No neurons marked for execution on-chip": a model whose only LMU
          parts are exact memories (host nodes) has nothing for the chip.
        """
        message = str(error)
        if "No neurons" in message and "on-chip" in message:
            return (
                f"{network} has no neurons for the chip ({message}): an exact "
                "memory (neuron_type=None) runs on the host, the same everywhere. "
                "Run it on nengo (backend='nengo'), or give the memory neurons "
                "(e.g. neuron_type=nengo.SpikingRectifiedLinear())"
            )
        if "weight exponent" in message:
            return (
                f"nengo-loihi cannot represent the weights of {network}: "
                f"{message}. A decoded recurrent connection (a solver with "
                "weights=False) has transform entries too small for the 8-bit "
                "weights that share one exponent on Loihi. Use neuron-to-neuron "
                "weights: leave solver=None (LstsqL2(weights=True) on Loihi) or "
                "pass a solver with weights=True."
            )
        if "axons" in message and "exceeded max" in message:
            return (
                f"{network} does not fit Loihi's cores: {message}. With "
                "neuron-to-neuron recurrent weights each memory neuron needs an "
                "axon per memory ensemble, so n_neurons * order must stay within "
                f"{MAX_AXONS} per memory; use fewer neurons per dimension."
            )
        return None

    # --- resources --------------------------------------------------------------

    def spikes(self, stack, sequence):
        """None here: `resources` counts the emulator's spikes in the same run
        as the chip's other figures."""
        return None

    def resources(self, stack, sequence):
        """As `.Backend.resources`, with the chip's figures from nengo-loihi's
        own build of one copy of ``stack``, run on ``sequence`` (held):
        cores, stored synaptic weights, the values crossing host and chip each
        step (``host_sources``: the host objects that send values other than
        the input's, e.g. an exact memory) and the spikes
        of the inference (the emulator's count; None on hardware).  The host
        neurons that send host values (`HostSpikes`) are not among
        ``neurons``: they carry values, as nengo-loihi's own encoders do."""
        figures = super().resources(stack, sequence)
        figures["neurons"] -= sum(
            ens.n_neurons for ens in stack.all_ensembles if isinstance(ens, HostSpikes)
        )
        with nengo.Network(add_to_container=False) as net:
            replica = stack.replica(sequence)
        sim = self.simulator(net, dt=stack.dt, progress_bar=False)
        with self.running(), sim:
            sim.run_steps(len(sequence))
            cores, synapses, spikes = chip_figures(sim)
            host_to_chip, chip_to_host, sources = chip_traffic(sim)
        figures.update(
            synapses=synapses,
            loihi_cores=cores,
            host_to_chip_per_step=int(host_to_chip),
            chip_to_host_per_step=int(chip_to_host),
            spikes_per_inference=spikes,
            host_sources=sorted(
                str(obj.label or obj)
                for obj in computed_on_host(sources, net, {replica.input})
            ),
        )
        return figures

    # --- running sequences ----------------------------------------------------

    def run_sequences(self, stack, inputs, batch_size=COPIES, progress=None):
        """Run up to `COPIES` copies of ``stack`` side by side in one emulator
        per batch, each fed one sequence: the emulator cannot reset, and every
        sequence must start from rest."""
        copies = max(1, min(batch_size, COPIES))
        n_steps = inputs.shape[1]
        outputs = []
        for start in range(0, len(inputs), copies):
            batch = inputs[start : start + copies]
            with nengo.Network() as net:
                replicas = [stack.replica(sequence) for sequence in batch]
            sim = self.simulator(net, dt=stack.dt, progress_bar=False)
            with self.running(), sim:
                sim.run_steps(n_steps)
            outputs.extend(self.probe_data(sim, r.probe) for r in replicas)
            if progress is not None:
                progress(start + len(batch), len(inputs))
        return np.stack(outputs)


def nearest_rounding_model(dt):
    """nengo-loihi's own build model, which rounds each weight to nearest."""
    return sys.modules[LoihiBackend.package].builder.Model(dt=dt)


def chip_traffic(sim):
    """``(host_to_chip, chip_to_host, host_sources)`` of a built
    nengo-loihi simulator: the values the host sends the chip each step
    (decoded dimensions, or spikes of host neurons), the values it reads back,
    and the host objects whose values are sent."""
    from nengo_loihi.passthrough import base_obj

    model = sim.model
    host_to_chip = sum(sender.size_out for sender in model.host2chip_senders.values())
    receivers = model.chip2host_receivers.values()
    chip_to_host = sum(receive.size_out for receive in receivers)
    split = model.split
    connections = (
        set(sim.network.all_connections) | split.passthrough.to_add
    ) - split.passthrough.to_remove
    sources = {
        base_obj(conn.pre)
        for conn in connections
        if split.on_chip(base_obj(conn.post)) and not split.on_chip(base_obj(conn.pre))
    }
    return host_to_chip, chip_to_host, sources


def computed_on_host(sources, network, inputs):
    """The ``sources`` that are more than ``inputs`` passed on: a host node
    counts as the input's when it is one of ``inputs``, or a node without
    state (a passthrough, a relay scaling its input) or a `HostSpikes` relay
    whose every incoming connection carries, unfiltered, the input's
    values."""
    from nengo_lmu.memory import Scaled

    incoming = {}
    for conn in network.all_connections:
        incoming.setdefault(conn.post_obj, []).append(conn)
    verdicts = {}

    def of_input(obj, seen=()):
        if obj in inputs:
            return True
        if obj in seen or not isinstance(obj, (nengo.Node, HostSpikes)):
            return False
        if obj not in verdicts:
            stateless = isinstance(obj, HostSpikes) or (
                obj.output is None or isinstance(obj.output, Scaled)
            )
            conns = incoming.get(obj, [])
            verdicts[obj] = (
                stateless
                and len(conns) > 0
                and all(
                    conn.synapse is None and of_input(conn.pre_obj, seen + (obj,))
                    for conn in conns
                )
            )
        return verdicts[obj]

    return [obj for obj in sources if not of_input(obj)]


def chip_figures(sim):
    """Cores (nengo-loihi puts one block on each), stored synaptic weights,
    and the spikes the chip's compartments have sent (the emulator counts
    them)."""
    blocks = sim.model.blocks
    synapses = sum(
        weights.size
        for block in blocks
        for syn in block.synapses
        for weights in syn.weights
    )
    emulator = sim.sims.get("emulator")
    spikes = None if emulator is None else int(emulator.compartment.spike_count.sum())
    return len(blocks), int(synapses), spikes


def decay_steps(tau, dt):
    """The integer decay nengo-loihi programs for a lowpass ``tau`` at ``dt``.

    Examples
    --------
    >>> decay_steps(0.1, 0.001)
    40
    """
    max_decay = 2**DECAY_BITS - 1
    decay = 1.0 if tau == 0 else -np.expm1(-dt / tau)
    return int(np.clip(np.round(decay * max_decay - 1), 0, max_decay))


def _on_chip(obj):
    return isinstance(_ensemble(obj), nengo.Ensemble) and not isinstance(
        _ensemble(obj), HostSpikes
    )


def _ensemble(obj):
    return obj.ensemble if isinstance(obj, nengo.ensemble.Neurons) else obj


def input_axons(network):
    """``(ensemble, axons, description)`` for every on-chip ensemble that fits
    one core: the input axons its incoming connections need.

    A neuron-to-neuron connection (from ``.neurons``, or a solver with
    ``weights=True``) needs one axon per pre neuron; a decoded or host
    connection, one per on/off decode neuron (two per dimension).
    """
    counts = {}
    for conn in network.all_connections:
        post = _ensemble(conn.post_obj)
        if not _on_chip(conn.post_obj) or post.n_neurons > MAX_CORE_NEURONS:
            continue
        weights = isinstance(conn.pre_obj, nengo.ensemble.Neurons) or (
            _on_chip(conn.pre_obj) and getattr(conn.solver, "weights", False)
        )
        axons = _ensemble(conn.pre_obj).n_neurons if weights else 2 * conn.size_mid
        counts.setdefault(post, []).append((conn, axons, weights))
    for ens, entries in counts.items():
        total = sum(axons for _, axons, _ in entries)
        n_weighted = sum(1 for *_, weights in entries if weights)
        yield ens, total, f"{n_weighted} neuron-to-neuron connections of {len(entries)}"


def fitting_size(ens, network):
    """Advice: how many neurons each pre ensemble may have so that ``ens``
    fits a core, when its neuron-to-neuron inputs come from equal ensembles."""
    sizes, other = [], 0
    for conn in network.all_connections:
        if _ensemble(conn.post_obj) is not ens or not _on_chip(conn.post_obj):
            continue
        if isinstance(conn.pre_obj, nengo.ensemble.Neurons) or (
            _on_chip(conn.pre_obj) and getattr(conn.solver, "weights", False)
        ):
            sizes.append(_ensemble(conn.pre_obj).n_neurons)
        else:
            other += 2 * conn.size_mid
    if sizes and len(set(sizes)) == 1:
        return (
            f"Use n_neurons <= {(MAX_AXONS - other) // len(sizes)} per ensemble "
            f"({len(sizes)} ensembles send it weights)."
        )
    return "Use fewer neurons in the ensembles that send it weights."


class HostSpikes(nengo.Ensemble):
    """Host neurons sending ``dimensions`` values in [-1, 1] to the chip as
    spikes: ``pairs`` on/off pairs of spiking rectified-linear neurons per
    value, an on neuron firing ``value / dt`` spikes per second (one per step
    at 1), its off partner the same for ``-value``.  Pair ``j`` starts with
    voltage ``(j + 1/2) / pairs``: with the same input, the pairs' spikes
    interleave, and their sum counts ``pairs * value`` spikes per step to
    within one (a single pair: within one per element).

    ``decoders`` ``(dimensions, n_neurons)`` read the values back from the
    neurons' spike trains (amplitude ``1 / dt``):
    ``value = sum(on - off) dt / pairs``.
    """

    def __init__(self, dimensions, pairs, dt, label=None):
        n_neurons = 2 * pairs * dimensions
        # neuron order: pair, then on/off, then dimension
        signs = np.tile(np.repeat([1.0, -1.0], dimensions), pairs)
        dims = np.tile(np.arange(dimensions), 2 * pairs)
        encoders = np.zeros((n_neurons, dimensions))
        encoders[np.arange(n_neurons), dims] = signs
        phases = (np.repeat(np.arange(pairs), 2 * dimensions) + 0.5) / pairs
        super().__init__(
            n_neurons,
            dimensions,
            encoders=encoders,
            gain=np.full(n_neurons, 1.0 / dt),
            bias=np.zeros(n_neurons),
            neuron_type=nengo.SpikingRectifiedLinear(
                initial_state={"voltage": phases}
            ),
            label=label,
        )
        self.pairs = pairs
        self.decoders = encoders.T * (dt / pairs)


def host_relays_off_chip(network):
    """``network``, or, when it holds `HostSpikes` relays, a network holding
    it that keeps them on the host.  nengo-loihi reads its settings
    (``on_chip``, ``block_shape``, ``pop_type``) from the top network's
    config: the user's own are carried over to the new top, and ``network``
    itself is left as it is."""
    relays = [ens for ens in network.all_ensembles if isinstance(ens, HostSpikes)]
    if not relays:
        return network
    add_params = sys.modules[LoihiBackend.package].add_params
    top = nengo.Network(label=network.label, seed=network.seed, add_to_container=False)
    add_params(top)
    top.networks.append(network)
    settings = {
        nengo.Ensemble: (("on_chip", "block_shape"), network.all_ensembles),
        nengo.Connection: (("pop_type",), network.all_connections),
    }
    for kind, (names, objects) in settings.items():
        if not all(name in network.config[kind]._extra_params for name in names):
            continue  # nengo-loihi's parameters were never added there
        for obj in objects:
            for name in names:
                value = getattr(network.config[obj], name)
                if value is not None:
                    setattr(top.config[obj], name, value)
    for ens in relays:
        top.config[ens].on_chip = False
    return top
