"""Neuron types: rate and spiking counterparts, and their config round trip.

Which spiking type a rate type becomes depends on the simulator (see
`.Backend.spiking_type`); this module holds what does not.
"""

import importlib
import inspect

import nengo
from nengo.exceptions import ValidationError

#: The lead (s) of spiking LIF memory ensembles with the LIF tuning below: the
#: decoded output is x + LIF_LEAD dx/dt (3.5-3.9 ms was best over seeds 0-2 on
#: DESIGN.md's memory; 0.5 ms too little costs about 30 % of the error).
LIF_LEAD = 0.0035

#: The lag (s) of integrate-and-fire memory ensembles whose neurons reset to
#: zero (Loihi's rectified-linear neurons): each spike drops the voltage that
#: overshot the threshold, so a neuron reports its input over its last
#: inter-spike interval, late, and the decoded output is x - RESET_LAG dx/dt.
#: 3-4 ms was best over seeds 0-2 on DESIGN.md's memory (the window error
#: 0.038 without it, flat in neurons, against 0.026 at 100 per dimension).
RESET_LAG = 0.0035

#: Short names of the rate types a trained network's hidden layer may use.
HIDDEN_TYPES = {"relu": nengo.RectifiedLinear, "lif": nengo.LIFRate}


def rate_type(neuron_type):
    """The rate neuron type a spiking ``neuron_type`` follows (itself if rate).

    Examples
    --------
    >>> rate_type(nengo.SpikingRectifiedLinear(amplitude=0.5))
    RectifiedLinear(amplitude=0.5)
    >>> rate_type(nengo.PoissonSpiking(nengo.LIFRate(tau_rc=0.05)))
    LIFRate(tau_rc=0.05)
    """
    base = getattr(neuron_type, "base_type", None)
    if base is not None:  # PoissonSpiking, RegularSpiking, StochasticSpiking
        return base
    if not neuron_type.spiking:
        return neuron_type
    for cls in type(neuron_type).__mro__[1:]:
        if cls is nengo.neurons.NeuronType:
            break
        if not cls.spiking:
            return copy_neuron_type(neuron_type, cls)
    raise ValidationError(
        f"no rate counterpart of {neuron_type} is known", attr="neuron_type"
    )


def constructor_args(neuron_type, cls=None):
    """The arguments of ``cls`` (default: the type's own class) that
    ``neuron_type`` has, read through its public attributes."""
    cls = type(neuron_type) if cls is None else cls
    args = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name in ("self", "initial_state") or param.kind in (
            param.VAR_KEYWORD,
            param.VAR_POSITIONAL,
        ):
            continue
        if hasattr(neuron_type, name):
            args[name] = getattr(neuron_type, name)
    return args


def copy_neuron_type(neuron_type, cls, amplitude=None):
    """A ``cls`` neuron type with the constructor arguments it shares with
    ``neuron_type``, and ``amplitude`` if given."""
    args = constructor_args(neuron_type, cls)
    if amplitude is not None:
        args["amplitude"] = amplitude
    return cls(**args)


def to_config(neuron_type):
    """A JSON-able description of ``neuron_type`` (None stays None).

    Examples
    --------
    >>> to_config(nengo.LIF(tau_rc=0.05))["class"]
    'nengo.neurons.LIF'
    """
    if neuron_type is None:
        return None
    args = constructor_args(neuron_type)
    for name, value in args.items():
        if isinstance(value, nengo.neurons.NeuronType):
            args[name] = to_config(value)
        elif isinstance(value, (int, float, str, bool)) or value is None:
            continue
        else:
            raise ValidationError(
                f"cannot describe {neuron_type}'s {name}={value!r} in a config",
                attr="neuron_type",
            )
    cls = type(neuron_type)
    return {"class": f"{cls.__module__}.{cls.__qualname__}", "args": args}


def from_config(config, attr="neuron_type"):
    """The neuron type described by `to_config` (only nengo's packages);
    errors name ``attr``, the option it was given as.

    Examples
    --------
    >>> from_config(to_config(nengo.PoissonSpiking(nengo.LIFRate())))
    PoissonSpiking(base_type=LIFRate())
    """

    def refuse(message):
        raise ValidationError(
            f"{message}; give a name from {sorted(HIDDEN_TYPES)}, a nengo neuron "
            "type, or its to_config() dict ({'class': ..., 'args': {...}})",
            attr=attr,
        )

    if config is None or isinstance(config, nengo.neurons.NeuronType):
        return config
    if isinstance(config, str):
        if config not in HIDDEN_TYPES:
            refuse(f"unknown neuron type {config!r}")
        return HIDDEN_TYPES[config]()
    if not isinstance(config, dict) or not isinstance(config.get("class"), str):
        refuse(f"cannot make a neuron type of {config!r}")
    module, _, name = config["class"].rpartition(".")
    if module.split(".")[0] not in ("nengo", "nengo_loihi"):
        refuse(f"neuron types come from nengo or nengo_loihi (got {config['class']!r})")
    try:
        cls = getattr(importlib.import_module(module), name, None)
    except ImportError:
        cls = None
    if not (isinstance(cls, type) and issubclass(cls, nengo.neurons.NeuronType)):
        refuse(f"{config['class']!r} is not a neuron type")
    try:
        args = {
            key: from_config(value, attr) if isinstance(value, dict) else value
            for key, value in dict(config.get("args") or {}).items()
        }
        return cls(**args)
    except (TypeError, ValueError) as error:
        refuse(f"{config['class']} does not take the arguments {config.get('args')} "
               f"({error})")


def resets_to_zero(neuron_type):
    """Whether ``neuron_type``'s neurons drop their voltage to zero when they
    spike (Loihi's integrate-and-fire neurons), rather than keep what
    overshot the threshold (nengo's ``SpikingRectifiedLinear``)."""
    return type(neuron_type).__name__ == "LoihiSpikingRectifiedLinear"


def rectified_linear_tuning(reset_to_zero=False):
    """`memory_tuning` for rectified-linear neurons; those that reset to zero
    lag (`RESET_LAG`), and principle 3 and the readout compensate it."""
    lag = RESET_LAG if reset_to_zero else 0.0
    return {
        "max_rates": nengo.dists.Uniform(120, 160),
        "intercepts": nengo.dists.Uniform(-0.3, 0.3),
        "synapse": 0.5,
        "solver_reg": 0.01,
        "headroom": 3.0,
        "readout": "decoded",
        "lead": -lag,
        "reason": (
            "rectified-linear tuning packed around the state's range: mirrored "
            "+-1 encoders with intercepts near zero combine into a line, and a "
            "long synapse averages spikes"
            + (
                f"; the {lag * 1e3:g} ms lag of neurons that reset to zero "
                "compensated"
                if lag
                else ""
            )
        ),
    }


def _is(neuron_type, *classes):
    return isinstance(rate_type(neuron_type), classes)


def memory_tuning(neuron_type):
    """How a spiking LMU memory of ``neuron_type`` is tuned on a simulator
    that runs neurons as nengo does (in floating point).

    Returns a dict of `.LMUMemory` arguments (``max_rates``, ``intercepts``,
    ``synapse``, ``solver_reg``, ``headroom``, ``readout``) and ``reason``,
    the sentence `.LMUMemory.summary` shows.  Measured on DESIGN.md's memory
    (order 6, theta 1 s, 1 Hz white noise rms 0.3, 10 s; README's tables):

    - rectified linear (integrate-and-fire): spike counts integrate the
      input exactly, pushing spike noise to high frequencies; intercepts
      near zero combine alternating +-1 encoders into a line.  Neurons that
      reset to zero when they spike (Loihi's) drop what overshot the
      threshold and *lag* the state by `RESET_LAG`, which principle 3 and
      the readout compensate (a negative ``lead``).
    - LIF curves (LIF, LoihiLIF, RegularSpiking(LIFRate)): the curve's
      steep onset must lie outside the state's range, so intercepts spread
      over the radius with a wider radius (4 standard deviations) and a
      longer synapse.  Spiking LIF neurons also *lead* the state they
      represent: below threshold the voltage follows the input, so a neuron
      fires as soon as its input crosses threshold, and the decoded output
      is ``x + k dx/dt`` with ``k`` about 3.5 ms for this tuning, shared by
      all neurons (it does not average out; it was LIF's error floor).
      Principle 3 compensates it (``lead``) and the state is read as what
      the ensembles receive.
    - Poisson spiking: pure spike noise, which falls only with more neurons
      and spikes; the state is read as what the ensembles receive (the
      synapse-filtered recurrence) rather than as their raw decoded spikes.
    """
    poisson = isinstance(neuron_type, nengo.PoissonSpiking) or (
        type(neuron_type).__name__ == "StochasticSpiking"
    )
    if poisson:
        return {
            "max_rates": nengo.dists.Uniform(60, 80),
            "intercepts": nengo.dists.Uniform(-1.0, 1.0),
            "synapse": 0.5,
            "solver_reg": 0.01,
            "headroom": 3.0,
            "readout": "filtered",
            "lead": 0.0,
            "reason": (
                "Poisson spikes are pure noise: intercepts over the whole radius, "
                "60-80 Hz, and the state read after the synapse"
            ),
        }
    if _is(neuron_type, nengo.LIFRate):
        leaky = isinstance(neuron_type, nengo.LIF)
        return {
            "max_rates": nengo.dists.Uniform(120, 200),
            "intercepts": nengo.dists.Uniform(-0.5, 1.0),
            "synapse": 1.0,
            "solver_reg": 0.01,
            "headroom": 4.0,
            "readout": "filtered" if leaky else "decoded",
            "lead": LIF_LEAD if leaky else 0.0,
            "reason": (
                "LIF curves: intercepts spread over the radius keep the steep "
                "onsets out of the state's range; radius 4 std, 1 s synapse"
                + (
                    f"; the spiking neurons' {LIF_LEAD * 1e3:g} ms lead compensated "
                    "by principle 3, the state read after the synapse"
                    if leaky
                    else ""
                )
            ),
        }
    if _is(neuron_type, nengo.RectifiedLinear):
        return rectified_linear_tuning(resets_to_zero(neuron_type))
    max_rates = nengo.dists.Uniform(100, 200)
    if _is(neuron_type, nengo.Sigmoid):  # its rates lie in (1, 2) / (2 tau_ref)
        ceiling = 1.0 / rate_type(neuron_type).tau_ref
        max_rates = nengo.dists.Uniform(0.6 * ceiling, 0.9 * ceiling)
    return {
        "max_rates": max_rates,
        "intercepts": nengo.dists.Uniform(-1.0, 1.0),
        "synapse": 0.5,
        "solver_reg": 0.01,
        "headroom": 3.0,
        "readout": "decoded",
        "lead": 0.0,
        "reason": f"no tuning is known for {type(neuron_type).__name__}: nengo's "
        "broad defaults",
    }
