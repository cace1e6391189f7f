"""NEF principle 3: map a linear system onto a recurrent connection.

A recurrent connection through a lowpass synapse ``h(s) = 1 / (tau s + 1)``
implements ``dx/dt = A x + B u`` when its transforms are the mapped
``(A', B')`` returned here.  Pure mathematics: a simulator's digital lowpass is
given by its per-step ``decay`` (which a backend supplies, e.g.
``nengo_lmu.backends.get("loihi").synapse_decay(tau, dt)``).
"""

import numbers
import warnings

import nengo
import numpy as np
from nengo.exceptions import ValidationError

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
        raise ValidationError(
            f"time constant must be a finite number >= 0 (got {tau})", attr=attr
        )
    return tau


def lowpass_decay(tau, dt):
    """``exp(-dt / tau)``: the decay of a zero-order-hold digital lowpass."""
    return 0.0 if tau == 0 else float(np.exp(-dt / tau))


def principle3(
    A, B, synapse, dt=None, decay=None, method="zoh", lead=0.0, target=None
):
    """Transforms that make a lowpass recurrence implement ``dx/dt = A x + B u``.

    Continuous (``dt=None``)::

        A' = tau A + I,   B' = tau B

    Discrete, exact for the digital lowpass ``y[k] = a y[k-1] + (1 - a) x[k]``
    that a simulator really runs (``a = decay``, by default
    ``exp(-dt / tau)``, nengo's and NengoDL's)::

        (Ad, Bd) = zoh(A, B, dt),   A' = (Ad - a I) / (1 - a),   B' = Bd / (1 - a)

    With ``tau = 0`` (``a = 0``) this is the digital memory itself,
    ``A' = Ad``, ``B' = Bd``: a recurrence through a one-step delay.

    Neurons whose decoded output leads the state they represent,
    ``xhat = x + k dx/dt = (I + k A) x + k B u`` (LIF neurons near threshold
    fire early), are compensated by feeding back ``x = (I + k A)^-1 (xhat - k
    B u)``::

        A'_k = A' (I + k A)^-1,   B'_k = B' - A'_k k B

    and neurons that lag it (``k < 0``: integrate-and-fire neurons that reset
    to zero, such as Loihi's) the same way.

    Parameters
    ----------
    A, B : ndarray
        The continuous system, e.g. from `.lmu_matrices`.
    synapse : nengo.Lowpass or float
        The recurrent synapse (a float is its time constant in seconds).
    dt : float or None
        Simulator step; None maps the continuous-time equations.
    decay : float, optional
        The per-step decay ``a`` of the simulator's lowpass; default
        ``exp(-dt / tau)``.  A backend supplies its own, e.g.
        ``nengo_lmu.backends.get("loihi").synapse_decay(tau, dt)``.
    method : {"zoh", "euler", "bilinear"}
        How ``(Ad, Bd)`` discretize ``(A, B)`` (see `.discretize`).
    lead : float
        The lead ``k`` (seconds) of the decoded neurons to compensate (0: none;
        negative: a lag).
    target : str, optional
        Deprecated: pass ``decay`` (the backend's ``synapse_decay``).

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
    tau = synapse_tau(synapse)
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float).reshape(A.shape[0], -1)
    identity = np.eye(A.shape[0])
    if dt is None:
        if tau == 0:
            raise ValidationError(
                "continuous principle 3 needs a synapse with tau > 0", attr="synapse"
            )
        return compensate_lead(tau * A + identity, tau * B, A, B, lead)
    if not (isinstance(dt, numbers.Real) and np.isfinite(dt) and dt > 0):
        raise ValidationError(f"must be a positive number (got {dt!r})", attr="dt")
    if target is not None:
        warnings.warn(
            "principle3(target=...) is deprecated; pass decay="
            "nengo_lmu.backends.get(target).synapse_decay(tau, dt)",
            DeprecationWarning,
            stacklevel=2,
        )
        from nengo_lmu import backends  # only on this deprecated path

        decay = backends.get(target, attr="target").synapse_decay(tau, dt)
    decay = lowpass_decay(tau, dt) if decay is None else float(decay)
    if not 0 <= decay < 1:
        raise ValidationError(
            f"a lowpass's per-step decay lies in [0, 1) (got {decay})", attr="decay"
        )
    Ad, Bd = discretize(A, B, dt, method=method)
    mapped_A, mapped_B = (Ad - decay * identity) / (1 - decay), Bd / (1 - decay)
    return compensate_lead(mapped_A, mapped_B, A, B, lead)


def compensate_lead(mapped_A, mapped_B, A, B, lead):
    """Principle 3's ``(A', B')`` for neurons whose decoded output is
    ``x + lead dx/dt``: ``A'_k = A' (I + k A)^-1``, ``B'_k = B' - A'_k k B``
    (a negative ``lead`` is a lag)."""
    if not np.isfinite(lead):
        raise ValidationError(f"must be a finite number (got {lead})", attr="lead")
    if lead == 0:
        return mapped_A, mapped_B
    lagged = np.linalg.solve((np.eye(A.shape[0]) + lead * A).T, mapped_A.T).T
    return lagged, mapped_B - lead * lagged @ B
