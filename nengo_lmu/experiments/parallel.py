"""Run independent, seeded experiment points side by side.

Points run through joblib: ``jobs`` processes here, or a Dask cluster
(``scheduler="tcp://host:8786"``, with ``dask.distributed`` installed) for
users with one.  Every point carries its own seed, so the results equal a
serial run's whatever the order in which points finish.
"""

import contextlib


def run_points(function, points, jobs=1, scheduler=None):
    """``[function(**point) for point in points]``, in parallel.

    Parameters
    ----------
    function : callable
        A module-level function (it is sent to other processes).
    points : list of dict
        Keyword arguments of each call.
    jobs : int
        Processes (1 runs here, in order; -1 uses every core).
    scheduler : str, optional
        A Dask scheduler's address: the points run on that cluster.
    """
    if jobs == 1 and scheduler is None:
        return [function(**point) for point in points]
    import joblib

    with _backend(scheduler):
        return joblib.Parallel(n_jobs=jobs)(
            joblib.delayed(function)(**point) for point in points
        )


@contextlib.contextmanager
def _backend(scheduler):
    if scheduler is None:
        yield
        return
    try:
        from dask.distributed import Client
    except ImportError as error:
        raise ImportError(
            "running points on a Dask cluster needs dask.distributed: "
            'pip install "dask[distributed]"'
        ) from error
    import joblib

    with Client(scheduler), joblib.parallel_backend("dask"):
        yield
