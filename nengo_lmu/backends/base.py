"""What every backend tells the networks: the protocol, with nengo's answers.

A backend is an object that knows one simulator: the digital lowpass it
really runs, the solver its recurrent connections need, the spiking
counterparts of rate neurons, how values on the host reach neurons, what it
refuses to build and why, and how it runs a batch of sequences.  Networks ask
their backend; no other code compares backend names.

`Backend` holds nengo's semantics (NengoDL shares them); `LoihiBackend`
overrides what the chip does differently.
"""

import contextlib
import importlib
import sys
import warnings

import nengo
import numpy as np
from nengo.exceptions import BuildError

from nengo_lmu.mapping import lowpass_decay
from nengo_lmu import neurons
from nengo_lmu.neurons import copy_neuron_type, rate_type

#: Steps per printed progress line when a backend runs many sequences.
PROGRESS_EVERY = 50


class Backend:
    """A simulator that LMU networks are mapped for.

    Attributes
    ----------
    name : str
        The registry name (``nengo_lmu.Simulator(..., backend=name)``).
    package : str
        The module holding the simulator.
    extra : str or None
        The pip extra that installs it.
    """

    name = "nengo"
    package = "nengo"
    extra = None
    description = "nengo.Simulator, the reference simulator"

    # warnings nengo_lmu's networks meet on this backend by design (regular
    # expressions); silenced while they are built and started
    expected_warnings = ()

    def __repr__(self):
        return f"<backend {self.name!r}: {self.description}>"

    # --- the simulator ------------------------------------------------------

    def import_module(self):
        """The simulator's package, or an ImportError naming the extra."""
        try:
            module = importlib.import_module(self.package)
        except ImportError as error:
            raise ImportError(
                f"backend {self.name!r} needs {self.package}, which is not "
                f'installed: pip install "nengo-lmu[{self.extra}]"'
            ) from error
        self.register_builders()
        return module

    def prepare_process(self):
        """Import the simulator the way a job that needs only it should
        (see `LoihiBackend.prepare_process`); returns the module."""
        return self.import_module()

    def owns(self, simulator_class):
        """Whether ``simulator_class`` is this backend's simulator."""
        return simulator_class.__module__.split(".")[0] == self.package

    @contextlib.contextmanager
    def quiet(self):
        """Silence the warnings in `expected_warnings` (and only those)."""
        with warnings.catch_warnings():
            for message in self.expected_warnings:
                warnings.filterwarnings("ignore", message=message)
            yield

    def running(self):
        """The context in which nengo-lmu's run loops step this backend's
        simulators: one BLAS thread.

        nengo's and nengo-loihi's host operators are small matrix products,
        for which BLAS's worker threads only spin: MNIST-1D on the emulator
        takes half the CPU time with one thread, and 1.3-1.6 s per sequence
        instead of 2.0-2.2 s with another job on the second core.  Only the
        loop's own process is affected, and only while it runs.
        """
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1, user_api="blas")

    def simulator(self, network, dt, **kwargs):
        """Build ``network`` on this backend's simulator at step ``dt``."""
        module = self.import_module()
        try:
            with self.quiet():
                return module.Simulator(network, dt=dt, **kwargs)
        except BuildError as error:
            advice = self.build_advice(network, error)
            if advice is None:
                raise
            raise BuildError(advice) from error

    def probe_data(self, sim, probe):
        """``sim.data[probe]`` as ``(steps, dims)``."""
        return np.asarray(sim.data[probe])

    def simulator_options(self, dt, pes_error_scale=None):
        """Keyword arguments for `simulator` that set what this backend lets
        a model configure (nengo has nothing to set)."""
        return {}

    # --- mapping: the digital lowpass and the input path --------------------

    def synapse_decay(self, tau, dt):
        """Per-step decay ``a`` of the lowpass ``y[k] = a y[k-1] + (1-a) x[k]``
        that this simulator runs for time constant ``tau`` at step ``dt``.

        Nengo and NengoDL discretize ``1 / (tau s + 1)`` by zero-order hold:
        ``a = exp(-dt / tau)``.
        """
        return lowpass_decay(tau, dt)

    def input_synapse(self, synapse):
        """The synapse to put on a host input that drives neurons directly, so
        that the neurons see it filtered once by ``synapse``."""
        return synapse

    def recurrent_solver(self, reg):
        """The solver of a recurrent ensemble-to-ensemble connection.

        Decoded (decoders, then the transform, then encoders): the cheapest
        form on a CPU.  Light regularization, because the memory's recurrence
        is close to the identity and a heavier one's decoding bias acts as a
        leak.
        """
        return nengo.solvers.LstsqL2(weights=False, reg=reg)

    def host_relay_scale(self, host_scale):
        """By how much values sent from host nodes to neurons are divided
        (1: they reach the neurons as they are)."""
        return 1.0

    #: How many steps later than on nengo a value reaches the host from
    #: neurons that the host drives (0: at the same step).
    round_trip_steps = 0

    def host_relay(self, pre, host_scale, dt):
        """Build, in the current network, what carries the values of the host
        node ``pre`` to neurons; returns ``(source, carry)``: connections to
        the neurons start at ``source`` with ``transform = weights @ carry``
        (``carry``: ``(pre.size_out, source.size_out)``), or None when the
        values reach the neurons as they are (here: always)."""
        return None

    def constant_source(self, dt):
        """Build, in the current network, neurons on the chip whose output is
        a constant 1, for biases whose values must not come from the host;
        returns them (``.neurons``), or None where a host node serves (here:
        always, nengo has no chip)."""
        return None

    def neuron_rates(self, neuron_type, currents, dt):
        """The rates of spiking ``neuron_type`` neurons on this backend for
        constant input ``currents``: spikes per second times the type's
        amplitude, as nengo's ``rates`` (here: nengo's rate curve)."""
        return neuron_type.rates(np.asarray(currents, dtype=float), 1.0, 0.0)

    def saturating_drive(self, neuron_type, gain, dt):
        """The input (``J = gain * drive``) above which spiking neurons of
        ``neuron_type`` fire no faster on this backend, or None where their
        rate has no ceiling (here: nengo's neurons may spike several times a
        step)."""
        return None

    # --- neurons --------------------------------------------------------------

    #: rate type -> its spiking counterpart on this backend
    def spiking_types(self):
        return {
            nengo.RectifiedLinear: nengo.SpikingRectifiedLinear,
            nengo.LIFRate: nengo.LIF,
        }

    def spiking_type(self, neuron_type, amplitude=None):
        """The spiking counterpart of ``neuron_type`` on this backend.

        A spiking type is first reduced to its rate type, so this also moves
        a spiking type between backends.  Parameters the two share (time
        constants, amplitude) are kept.
        """
        rate = rate_type(neuron_type)
        for rate_cls, spiking_cls in self.spiking_types().items():
            if type(rate) is rate_cls:
                return copy_neuron_type(rate, spiking_cls, amplitude=amplitude)
        raise nengo.exceptions.ValidationError(
            f"no spiking counterpart of {neuron_type} is known on backend "
            f"{self.name!r}; use nengo.RectifiedLinear or nengo.LIFRate (or their "
            "spiking types)",
            attr="neuron_type",
        )

    def prepare_dl_training(self):
        """Make NengoDL train this backend's spiking neuron types through the
        rate curves they really follow (nengo's need nothing)."""

    def unsupported(self, neuron_type):
        """Why this backend cannot run ``neuron_type`` (None when it can)."""
        return None

    def build_levers(self):
        """What this backend's build does for nengo-lmu's networks, each as
        the `.run_memory` arguments that revert it: ``{description:
        kwargs}`` (none on nengo)."""
        return {}

    def weight_notes(self, network):
        """Lines for ``network``'s summary on what this backend does to its
        weights (nothing on nengo)."""
        return []

    def memory_tuning(self, neuron_type):
        """Default tuning of spiking-memory ensembles of ``neuron_type``: a
        dict of `.LMUMemory` arguments and ``reason`` (see
        `nengo_lmu.neurons.memory_tuning`; nengo runs every neuron type in
        floating point, so its tuning is the neuron type's)."""
        return neurons.memory_tuning(neuron_type)

    # --- checks and advice ----------------------------------------------------

    def check_network(self, network):
        """Refuse, before a long build, what this backend cannot run."""
        for ens in network.all_ensembles:
            reason = self.unsupported(ens.neuron_type)
            if reason is not None:
                raise BuildError(f"{ens}: {reason}")

    def build_advice(self, network, error):
        """Explain a build error that LMU networks can meet (None if none)."""
        return None

    # --- builders -------------------------------------------------------------

    def builder_and_delegate(self):
        """The builder class to register with and the network build function
        to delegate to (None when the package is not imported yet)."""
        return nengo.builder.Builder, nengo.builder.network.build_network

    def register_builders(self):
        """Let this backend's builder build `.MappedNetwork` through
        `.build_mapped_network` (once; a no-op until the package is imported)."""
        from nengo_lmu.backends.mapped import register_with

        if sys.modules.get(self.package) is not None:
            register_with(self, *self.builder_and_delegate())

    # --- resources --------------------------------------------------------------

    #: The keys of `resources`.
    RESOURCE_KEYS = (
        "memory_neurons",
        "neurons",
        "synapses",
        "loihi_cores",
        "host_to_chip_per_step",
        "chip_to_host_per_step",
        "spikes_per_inference",
        "steps_per_element",
    )

    def resources(self, stack, sequence):
        """What ``stack`` uses: its memories' neurons and all its neurons,
        its steps per element, and the spikes of one inference on
        ``sequence`` (held; `spikes`).  The chip's figures (``synapses``,
        ``loihi_cores``, the values crossing host and chip each step) are the
        Loihi backend's; None here.

        Examples
        --------
        >>> from nengo_lmu import LMUStack, backends
        >>> stack = LMUStack(input_d=1, seq_len=4, layers=[dict(
        ...     memory_d=1, order=3, theta=4, hidden_units=10, output_d=2,
        ...     memory_neuron_type="relu", memory_n_neurons=20)])
        >>> use = backends.get("nengo").resources(stack, None)
        >>> use["memory_neurons"], use["neurons"], use["loihi_cores"]
        (60, 70, None)
        """
        figures = dict.fromkeys(self.RESOURCE_KEYS)
        memories = [layer.memory for layer in stack.layers if hasattr(layer, "memory")]
        figures["memory_neurons"] = int(
            sum(ens.n_neurons for memory in memories for ens in memory.all_ensembles)
        )
        figures["neurons"] = int(sum(ens.n_neurons for ens in stack.all_ensembles))
        figures["steps_per_element"] = stack.steps_per_element
        figures["spikes_per_inference"] = self.spikes(stack, sequence)
        return figures

    def spikes(self, stack, sequence):
        """The spikes all of a spiking ``stack``'s neurons fire in one
        inference on ``sequence`` (held, ``(steps, input_d)``); None for a rate
        stack or without a sequence."""
        if sequence is None or not stack.spiking:
            return None
        replica = stack.replica(add_to_container=False)
        ensembles = [e for e in replica.all_ensembles if e.neuron_type.spiking]
        with replica:
            probes = [nengo.Probe(ens.neurons, synapse=None) for ens in ensembles]
        records = self.record_sequences(replica, np.asarray(sequence)[None], probes)
        # a probed spike is amplitude / dt
        return int(
            round(
                sum(
                    record.sum() * stack.dt / getattr(ens.neuron_type, "amplitude", 1)
                    for ens, record in zip(ensembles, records)
                )
            )
        )

    # --- running sequences ----------------------------------------------------

    def run_sequences(self, stack, inputs, batch_size=100, progress=None):
        """Outputs of ``stack`` on held inputs ``(n, steps, d)``, each sequence
        from the network's initial state (`record_sequences` of its probe)."""
        return self.record_sequences(stack, inputs, [stack.probe], progress)[0]

    def record_sequences(self, stack, inputs, probes, progress=None):
        """What ``probes`` (inside ``stack``) record on held inputs ``(n,
        steps, d)``: one ``(n, steps, size)`` array per probe, each sequence
        from the network's initial state.

        nengo resets the simulator between sequences (with the same seed, so
        that every sequence starts from the same state).
        """
        n_steps = inputs.shape[1]
        records = [[] for _ in probes]
        with stack.feeding(inputs), self.running():
            with self.simulator(stack, dt=stack.dt, progress_bar=False) as sim:
                for i in range(len(inputs)):
                    if i > 0:
                        sim.reset(seed=sim.seed)
                    stack.feed.select(i)
                    sim.run_steps(n_steps)
                    for probe, record in zip(probes, records):
                        record.append(self.probe_data(sim, probe)[-n_steps:].copy())
                    if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
                        progress(i + 1, len(inputs))
        return [np.stack(record) for record in records]
