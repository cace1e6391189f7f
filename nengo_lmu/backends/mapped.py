"""Networks mapped once, at construction, for one backend and one step.

A `MappedNetwork` chooses every value that depends on the simulator (its
synapse's decay, solvers, neuron types, how host values reach neurons) when it
is constructed, from its ``backend`` and ``dt``, and never changes them.  Each
simulator's builder builds it through `build_mapped_network`, which only
reads: it refuses a step or a simulator the network was not mapped for, with a
message that says what to change, and silences the warnings that the backend
expects of LMU networks.  Why refuse rather than re-map: a builder that
rewrote the user's connections would make what the user inspected differ from
what runs; and the differences are real (Loihi filters host inputs on the chip
and quantizes its synaptic decay), so one frontend cannot be exact on both.
"""

import numbers

import numpy as np
from nengo import Network
from nengo.exceptions import BuildError, ValidationError
from nengo.params import NumberParam, Parameter

# builder class -> the classes registered with it (each once)
_REGISTERED = set()


class FiniteNumberParam(NumberParam):
    """A `nengo.params.NumberParam` that refuses NaN and infinities, naming
    itself (nengo's own compares NaN with its bounds and fails with a
    TypeError that names nothing)."""

    def coerce(self, instance, num):
        value = num.item() if isinstance(num, np.ndarray) and num.ndim == 0 else num
        if isinstance(value, numbers.Real) and not np.isfinite(value):
            raise ValidationError(
                f"must be a finite number (got {value})", attr=self.name, obj=instance
            )
        return super().coerce(instance, num)


def check_bool(value, attr, obj=None):
    """``value`` if it is a bool (numpy's too); else a ValidationError (a
    string such as ``"False"`` would otherwise count as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValidationError(
            f"must be True or False (got {value!r})", attr=attr, obj=obj
        )
    return bool(value)


class BackendParam(Parameter):
    """A backend given by name (or as a `.Backend`); stored as the object."""

    def coerce(self, instance, backend):
        from nengo_lmu import backends

        return super().coerce(instance, backends.get(backend, attr=self.name))


def seed_from_context():
    """A seed for a network made without one inside a seeded network.

    Nengo seeds such objects when it builds them; a mapped network draws its
    tuning when it is constructed, so it takes its seed then, from the
    innermost enclosing seed and its position in its container (the same
    model built twice gets the same seeds).  None outside seeded networks.
    """
    if not Network.context:
        return None
    container = Network.context[-1]
    for network in reversed(Network.context):
        if network.seed is not None:
            position = len(container.networks) + len(container.ensembles)
            rng = np.random.RandomState([network.seed, position, len(Network.context)])
            return int(rng.randint(np.iinfo(np.int32).max))
    return None


class MappedNetwork(Network):
    """Base class of nengo-lmu's networks: mapped for ``backend`` and ``dt``.

    Parameters
    ----------
    backend : str or Backend
        The simulator whose semantics the network is mapped for (one of
        `nengo_lmu.backends.NAMES`).
    dt : float
        The simulator step it is mapped for.
    """

    backend = BackendParam("backend")
    dt = NumberParam("dt", low=0, low_open=True)

    def __init__(self, backend, dt, label=None, seed=None, add_to_container=None):
        if seed is None and add_to_container is not False:
            seed = seed_from_context()
        super().__init__(label=label, seed=seed, add_to_container=add_to_container)
        self.backend = backend
        self.dt = check_positive(dt, "dt")
        from nengo_lmu import backends

        # a simulator package the user has imported builds us through our
        # check from now on
        backends.register_imported()

    def mismatch(self, backend):
        """Why this network would not run as mapped on ``backend`` (None if
        it would).  By default it runs where the mapping's backend's choices
        are the same; subclasses say which choices matter to them."""
        return None

    def weight_connections(self):
        """Neuron-to-neuron connections whose weights a backend that rounds
        weights (Loihi's 8-bit grid) may round together, as ``(connection,
        points)``: ``points`` are values the pre ensemble represents, drawn
        from what it will meet.  None by default."""
        return []

    def check_build(self, backend, dt):
        """Refuse a step or a backend this network was not mapped for."""
        if not np.isclose(dt, self.dt, rtol=1e-9, atol=0):
            raise BuildError(
                f"{self} was built for dt={self.dt} but the simulator runs "
                f"dt={dt}; build it with dt={dt} or run the simulator with "
                f"dt={self.dt}"
            )
        reason = self.mismatch(backend)
        if reason is not None:
            raise BuildError(
                f"{self} was mapped for backend={self.backend.name!r} and cannot "
                f"run as mapped on {backend.description}: {reason}. Build it with "
                f"backend={backend.name!r}"
            )
        backend.check_network(self)


def build_mapped_network(model, network, *args, backend, delegate, **kwargs):
    """Build a `MappedNetwork` on ``backend``: check it, then let the
    simulator's own network builder build it, unchanged."""
    network.check_build(backend, model.dt)
    with backend.quiet():
        return delegate(model, network, *args, **kwargs)


def register_with(backend, builder, delegate):
    """Register `build_mapped_network` for ``backend`` with ``builder``."""
    if builder in _REGISTERED:
        return
    _REGISTERED.add(builder)

    def build(model, network, *args, **kwargs):
        return build_mapped_network(
            model, network, *args, backend=backend, delegate=delegate, **kwargs
        )

    builder.register(MappedNetwork)(build)


def declared_dt(network):
    """The ``dt`` the `MappedNetwork` objects in ``network`` were mapped for
    (None if there are none)."""
    dts = {
        net.dt
        for net in [network] + list(network.all_networks)
        if isinstance(net, MappedNetwork)
    }
    if len(dts) > 1:
        raise BuildError(
            f"the networks inside {network} were built for different steps "
            f"{sorted(dts)}; build every nengo-lmu network with the same dt"
        )
    return dts.pop() if dts else None


def check_model(network, backend, dt):
    """Check every `MappedNetwork` in ``network`` before any build starts (a
    failed NengoDL build leaves nengo's float precision changed)."""
    for net in [network] + list(network.all_networks):
        if isinstance(net, MappedNetwork):
            net.check_build(backend, dt)
    backend.check_network(network)


def check_positive(value, attr):
    """``value`` as a float if it is a finite number > 0; else a
    ValidationError naming ``attr``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValidationError(f"must be a finite number > 0 (got {value!r})", attr=attr)
    return float(value)
