"""The LMU as a linear system: Legendre (A, B), discretization and readout.

Pure numpy / scipy; nothing here knows about neurons or simulators.
"""

import numbers

import numpy as np
import scipy.signal
from nengo.exceptions import ValidationError
from scipy.special import eval_legendre

DISCRETIZE_METHODS = ("zoh", "euler", "bilinear")


def check_order(order, attr="order"):
    """Return ``order`` as an int, or raise a ValidationError naming ``attr``."""
    is_integer = isinstance(order, numbers.Integral) and not isinstance(order, bool)
    if not is_integer or order < 1:
        raise ValidationError(
            f"must be an integer >= 1 (got {order!r})", attr=attr, obj=None
        )
    return int(order)


def check_theta(theta, dt=None, attr="theta"):
    """Return ``theta`` as a float; it must be > 0 and, given ``dt``, at least
    one step (keras-lmu's ``theta=1``: a window of one element)."""
    if (
        not isinstance(theta, numbers.Real)
        or isinstance(theta, bool)
        or not np.isfinite(theta)
        or theta <= 0
    ):
        raise ValidationError(
            f"must be a positive number of seconds (got {theta!r})", attr=attr
        )
    if dt is not None and theta < dt * (1 - 1e-9):
        raise ValidationError(
            f"window theta={theta} s is shorter than one step, dt={dt} s: the "
            "memory cannot hold a window of less than a step; lengthen theta or "
            "shorten dt",
            attr=attr,
        )
    return float(theta)


def check_window_r(r, attr="r"):
    """Return ``r`` as a float array; each value must lie in [0, 1]."""
    try:
        r_array = np.asarray(r, dtype=float)
    except (TypeError, ValueError):
        r_array = np.array(np.nan)
    if not np.all(np.isfinite(r_array)) or np.any((r_array < 0) | (r_array > 1)):
        raise ValidationError(
            f"window positions must lie in [0, 1] (fractions of theta); got {r!r}",
            attr=attr,
        )
    return r_array


def lmu_matrices(order, theta):
    """The continuous LMU system ``theta * dm/dt = A m + B u`` (theta folded in).

    With ``R_q = (2q + 1) / theta``::

        A[i, j] = R_i * (-1 if i < j else (-1)**(i - j + 1))
        B[i]    = R_i * (-1)**i

    so that ``dm/dt = A m + B u``.

    Parameters
    ----------
    order : int
        Number of Legendre coefficients ``d`` held in memory.
    theta : float
        Length of the window, in seconds.

    Returns
    -------
    A : (order, order) ndarray
    B : (order, 1) ndarray

    Examples
    --------
    >>> A, B = lmu_matrices(order=3, theta=1.0)
    >>> A
    array([[-1., -1., -1.],
           [ 3., -3., -3.],
           [-5.,  5., -5.]])
    >>> B.ravel()
    array([ 1., -3.,  5.])
    """
    order = check_order(order)
    theta = check_theta(theta)
    q = np.arange(order)
    rate = (2 * q + 1)[:, None] / theta
    i, j = np.meshgrid(q, q, indexing="ij")
    A = rate * np.where(i < j, -1.0, (-1.0) ** (i - j + 1))
    B = rate * ((-1.0) ** q)[:, None]
    return A, B


def discretize(A, B, dt, method="zoh"):
    """Discretize ``dm/dt = A m + B u`` at step ``dt``.

    ``m[k+1] = Ad m[k] + Bd u[k]``; ``"zoh"`` is exact for an input held
    constant over each step, ``"euler"`` is ``Ad = I + dt A``, ``Bd = dt B``,
    and ``"bilinear"`` is the Tustin transform.

    Parameters
    ----------
    A, B : ndarray
        Continuous system, e.g. from `.lmu_matrices`.
    dt : float
        Step, in seconds.
    method : {"zoh", "euler", "bilinear"}

    Returns
    -------
    Ad, Bd : ndarray

    Examples
    --------
    >>> A, B = lmu_matrices(order=4, theta=1.0)
    >>> Ad, Bd = discretize(A, B, dt=0.001)
    >>> bool(np.all(np.abs(np.linalg.eigvals(Ad)) < 1))
    True
    """
    if method not in DISCRETIZE_METHODS:
        raise ValidationError(
            f"unknown method {method!r}; use one of {DISCRETIZE_METHODS}",
            attr="method",
        )
    if (
        not isinstance(dt, numbers.Real)
        or isinstance(dt, bool)
        or not np.isfinite(dt)
        or dt <= 0
    ):
        raise ValidationError(f"must be a finite number > 0 (got {dt!r})", attr="dt")
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float).reshape(A.shape[0], -1)
    C = np.zeros((1, A.shape[0]))
    D = np.zeros((1, B.shape[1]))
    Ad, Bd, _, _, _ = scipy.signal.cont2discrete((A, B, C, D), dt, method=method)
    return Ad, Bd


def legendre_readout(order, r):
    """Readout ``C`` with ``u(t - r*theta) ~= C @ m(t)``.

    ``C[..., q] = P_q(2r - 1)``, the shifted Legendre polynomials.

    Parameters
    ----------
    order : int
    r : float or array_like
        Position(s) in the window as a fraction of theta: 0 is now, 1 is
        ``theta`` seconds ago.

    Returns
    -------
    C : ndarray
        Shape ``(order,)`` for scalar ``r``, else ``r.shape + (order,)``.

    Examples
    --------
    >>> legendre_readout(3, 1.0)
    array([1., 1., 1.])
    >>> legendre_readout(3, [0.0, 0.5]).round(3)
    array([[ 1. , -1. ,  1. ],
           [ 1. ,  0. , -0.5]])
    """
    order = check_order(order)
    r = check_window_r(r)
    q = np.arange(order)
    return eval_legendre(q, 2 * r[..., None] - 1)


def ideal_memory(u, order, theta, dt, method="zoh"):
    """Simulate the ideal discrete memory on input ``u`` (steps x dims).

    Returns the state ``m`` of shape ``(steps, dims, order)``; row ``k`` is the
    state after the input of step ``k`` (as a nengo probe sees it).

    Examples
    --------
    >>> u = np.ones((2000, 1))
    >>> m = ideal_memory(u, order=4, theta=0.5, dt=0.001)
    >>> bool(np.allclose(legendre_readout(4, 1.0) @ m[-1, 0], 1, atol=0.01))
    True
    """
    Ad, Bd = discretize(*lmu_matrices(order, theta), dt, method=method)
    u = np.asarray(u, dtype=float)
    u = u.reshape(len(u), -1)
    # m[k] = Ad m[k-1] + Bd u[k] for every input dimension at once
    state = np.zeros((u.shape[1], Ad.shape[0]))
    out = np.empty((len(u), u.shape[1], Ad.shape[0]))
    bd = Bd.ravel()
    for k in range(len(u)):
        state = state @ Ad.T + u[k][:, None] * bd
        out[k] = state
    return out
