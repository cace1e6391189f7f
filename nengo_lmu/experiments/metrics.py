"""How well a memory holds its window: the measures every experiment shares.

Window NRMSE: the mean over ``r`` in {0.25, 0.5, 0.75, 1.0} of the NRMSE
between the Legendre readout and the true input delayed by ``r*theta``, both
lowpassed at 50 ms, after discarding the first ``2*theta``.
"""

import nengo
import numpy as np

from nengo_lmu.system import ideal_memory

WINDOW_R = (0.25, 0.5, 0.75, 1.0)
EVAL_SYNAPSE = nengo.Lowpass(0.05)


def nrmse(actual, target, axis=None):
    """Root-mean-square error divided by the root-mean-square of ``target``.

    NaN when ``target`` is zero throughout (there is nothing to be relative
    to); callers that print it say so.

    Examples
    --------
    >>> nrmse(np.array([1.0, -1.0]), np.array([2.0, -2.0]))
    0.5
    """
    actual, target = np.asarray(actual), np.asarray(target)
    error = np.sqrt(np.mean((actual - target) ** 2, axis=axis))
    scale = np.sqrt(np.mean(target**2, axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, error / np.where(scale > 0, scale, 1), np.nan)[()]


def delay_steps(signal, steps):
    """``signal`` delayed by ``steps`` samples along axis 0 (zeros before)."""
    signal = np.asarray(signal)
    if steps == 0:
        return signal.copy()
    pad = np.zeros((steps,) + signal.shape[1:])
    return np.concatenate([pad, signal[:-steps]])


def window_errors(u, decoded, theta, dt, r_values=WINDOW_R, discard=None):
    """NRMSE of each decoded delay against the true delayed input.

    Parameters
    ----------
    u : (steps, 1) ndarray
        The input the memory received (as probed, without a synapse).
    decoded : (steps, len(r_values)) ndarray
        The window outputs (as probed, without a synapse).
    theta, dt : float
    r_values : sequence of float
    discard : float, optional
        Seconds discarded at the start; default ``2 * theta``.

    Returns
    -------
    ndarray
        One NRMSE per ``r``.
    """
    discard = 2 * theta if discard is None else discard
    keep = slice(int(round(discard / dt)), None)
    decoded = EVAL_SYNAPSE.filt(np.asarray(decoded), dt=dt, y0=0)
    errors = []
    for j, r in enumerate(r_values):
        target = delay_steps(u[:, 0], int(round(r * theta / dt)))
        target = EVAL_SYNAPSE.filt(target, dt=dt, y0=0)
        errors.append(nrmse(decoded[keep, j], target[keep]))
    return np.array(errors)


def state_error(u, state, order, theta, dt, discard=None):
    """NRMSE of the decoded state, pooled over memory dimensions.

    The reference is the ideal discrete memory driven by the same input (one
    step behind, as a simulator's recurrence is), both lowpassed at 50 ms.
    Pooled (total squared error over total squared state) because the highest
    Legendre dimensions carry almost no signal at high orders.
    """
    discard = 2 * theta if discard is None else discard
    keep = slice(int(round(discard / dt)), None)
    ideal = ideal_memory(delay_steps(u, 1), order, theta, dt)[:, 0]
    ideal = EVAL_SYNAPSE.filt(ideal, dt=dt, y0=0)
    state = EVAL_SYNAPSE.filt(np.asarray(state), dt=dt, y0=0)
    return float(nrmse(state[keep], ideal[keep]))
