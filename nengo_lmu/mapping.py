"""NEF principle 3: map a linear system onto a recurrent connection.

A recurrent connection through a lowpass synapse ``h(s) = 1 / (tau s + 1)``
implements ``dx/dt = A x + B u`` when its transforms are the mapped
``(A', B')`` returned here.
"""

import numbers

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu import simulators
from nengo_lmu.system import discretize


def synapse_tau(synapse, attr="synapse"):
    """The time constant of a first-order lowpass ``synapse`` (None or 0 is 0)."""
    if synapse is None:
        return 0.0
    if isinstance(synapse, numbers.Real) and not isinstance(synapse, bool):
        tau = float(synapse)
    elif type(synapse) is nengo.Lowpass:
        tau = float(synapse.tau)
    else:
        raise ValidationError(
            f"principle 3 is implemented for nengo.Lowpass synapses (or a time "
            f"constant in seconds); cannot map {synapse!r}. Use "
            "nengo.Lowpass(tau)",
            attr=attr,
        )
    if not np.isfinite(tau) or tau < 0:
        raise ValidationError(f"time constant must be >= 0 (got {tau})", attr=attr)
    return tau


def principle3(A, B, synapse, dt=None, target="nengo"):
    """Transforms that make a lowpass recurrence implement ``dx/dt = A x + B u``.

    Continuous (``dt=None``)::

        A' = tau A + I,   B' = tau B

    Discrete, exact for the synapse the simulator really runs, a lowpass
    ``y[k] = a y[k-1] + (1 - a) x[k]`` (``a = exp(-dt/tau)`` on nengo and
    NengoDL; Loihi's 12-bit decay on ``target="loihi"``)::

        (Ad, Bd) = zoh(A, B, dt),   A' = (Ad - a I) / (1 - a),   B' = Bd / (1 - a)

    Parameters
    ----------
    A, B : ndarray
        The continuous system, e.g. from `.lmu_matrices`.
    synapse : nengo.Lowpass or float
        The recurrent synapse (a float is its time constant in seconds).
    dt : float or None
        Simulator step; None maps the continuous-time equations.
    target : {"nengo", "dl", "loihi"}
        Which simulator's synapse to map for.

    Returns
    -------
    A_mapped, B_mapped : ndarray

    Examples
    --------
    >>> from nengo_lmu import lmu_matrices
    >>> A, B = lmu_matrices(order=2, theta=1.0)
    >>> A_mapped, B_mapped = principle3(A, B, nengo.Lowpass(0.1))
    >>> A_mapped
    array([[ 0.9, -0.1],
           [ 0.3,  0.7]])
    """
    simulators.check_backend(target, attr="target")
    tau = synapse_tau(synapse)
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float).reshape(A.shape[0], -1)
    identity = np.eye(A.shape[0])
    if dt is None:
        if tau == 0:
            raise ValidationError(
                "continuous principle 3 needs a synapse with tau > 0", attr="synapse"
            )
        return tau * A + identity, tau * B
    decay = simulators.synapse_decay(tau, dt, target)
    Ad, Bd = discretize(A, B, dt, method="zoh")
    return (Ad - decay * identity) / (1 - decay), Bd / (1 - decay)
