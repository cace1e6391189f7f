"""The simulators nengo-lmu runs on, one object each behind one protocol.

``nengo`` (`nengo.Simulator`), ``dl`` (`nengo_dl.Simulator`) and ``loihi``
(`nengo_loihi.Simulator`: the emulator, or Loihi hardware).  A backend knows
its simulator's synapse decay, the solver its recurrent connections need, the
spiking counterparts of rate neurons, how host values reach neurons, what it
refuses to build and why, and how it runs a batch of sequences (see
`.Backend`).  Networks ask their backend; nothing outside this package
compares backend names.  Only nengo is imported until a backend is used.
"""

import nengo
from nengo.exceptions import ValidationError

from nengo_lmu.backends.base import Backend
from nengo_lmu.backends.dl import DLBackend
from nengo_lmu.backends.loihi import LoihiBackend
from nengo_lmu.backends.mapped import (
    MappedNetwork,
    check_model,
    check_positive,
    declared_dt,
)

_BACKENDS = {
    backend.name: backend for backend in (Backend(), DLBackend(), LoihiBackend())
}

#: The registry's names, in the order the documentation lists them.
NAMES = tuple(_BACKENDS)


def get(backend, attr="backend"):
    """The `.Backend` called ``backend`` (a backend is returned as it is).

    Examples
    --------
    >>> get("loihi").synapse_decay(0.1, 0.001)
    0.989990234375
    """
    from nengo.exceptions import ValidationError

    if isinstance(backend, Backend):
        return backend
    if backend not in _BACKENDS:
        raise ValidationError(
            f"unknown backend {backend!r}; use one of {', '.join(NAMES)}", attr=attr
        )
    return _BACKENDS[backend]


def host():
    """The backend whose semantics nodes follow on every simulator (they run
    on the host, as nengo runs them)."""
    return _BACKENDS["nengo"]


def trainer():
    """The backend that trains networks by backpropagation (NengoDL)."""
    return _BACKENDS["dl"]


def for_simulator(simulator_class):
    """The backend whose simulator is ``simulator_class`` (e.g. the class a
    test suite's ``Simulator`` fixture holds)."""
    for backend in _BACKENDS.values():
        if backend.owns(simulator_class):
            return backend
    from nengo.exceptions import ValidationError

    raise ValidationError(
        f"{simulator_class} is not the simulator of any of {', '.join(NAMES)}",
        attr="Simulator",
    )


def register_imported():
    """Register nengo-lmu's build checks with every simulator package that is
    imported (cheap; nothing is imported here)."""
    for backend in _BACKENDS.values():
        backend.register_builders()


def Simulator(network, backend="nengo", dt=None, **kwargs):
    """Run ``network`` on the simulator behind ``backend``.

    Every nengo-lmu network inside is checked before anything is built: it
    must have been built for this ``dt`` and mapped for a backend whose
    choices this one shares (see `.MappedNetwork`).

    Parameters
    ----------
    network : nengo.Network
    backend : {"nengo", "dl", "loihi"}
        ``nengo.Simulator``, ``nengo_dl.Simulator`` or ``nengo_loihi.Simulator``
        (the emulator, or Loihi hardware where NxSDK is installed).
    dt : float, optional
        Simulator step; defaults to the ``dt`` the nengo-lmu networks inside
        were built for (1 ms if there are none).
    **kwargs
        Passed to the simulator.

    Examples
    --------
    >>> import nengo, nengo_lmu
    >>> with nengo.Network(seed=0) as model:
    ...     memory = nengo_lmu.LMUMemory(order=4, theta=0.5, neuron_type=None)
    ...     probe = nengo.Probe(memory.state)
    >>> with nengo_lmu.Simulator(model, progress_bar=False) as sim:
    ...     sim.run(0.1)
    >>> sim.data[probe].shape
    (100, 4)
    """
    backend = get(backend)
    if not isinstance(network, nengo.Network):
        raise ValidationError(
            f"must be a nengo.Network holding the model (got {network!r})",
            attr="network",
        )
    built_for = declared_dt(network)
    dt = (built_for or 0.001) if dt is None else check_positive(dt, "dt")
    backend.import_module()
    check_model(network, backend, dt)
    return backend.simulator(network, dt=dt, **kwargs)


__all__ = [
    "Backend",
    "DLBackend",
    "LoihiBackend",
    "MappedNetwork",
    "NAMES",
    "Simulator",
    "for_simulator",
    "get",
    "host",
    "register_imported",
    "trainer",
]
