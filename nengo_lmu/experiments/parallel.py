"""Run independent, seeded experiment points side by side.

Points run through joblib: ``jobs`` processes here, or a Dask cluster
(``scheduler="tcp://host:8786"``, with ``dask.distributed`` installed) for
users with one.  Every point carries its own seed, so the results equal a
serial run's whatever the order in which points finish.
"""

import contextlib
import sys
import time


def run_points(function, points, jobs=1, scheduler=None, progress=True):
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
    progress : bool
        Report each finished point, the time spent and an estimate of the
        time left, on standard error (the tables and JSON lines go to
        standard output).
    """
    if jobs == 1 and scheduler is None:
        results = (function(**point) for point in points)
        return _collect(results, len(points), progress)
    import joblib

    with _backend(scheduler):
        results = joblib.Parallel(n_jobs=jobs, return_as="generator")(
            joblib.delayed(function)(**point) for point in points
        )
        return _collect(results, len(points), progress)


def _collect(results, total, progress):
    collected, start = [], time.perf_counter()
    for result in results:
        collected.append(result)
        if progress and total > 1:
            elapsed = time.perf_counter() - start
            left = elapsed / len(collected) * (total - len(collected))
            print(
                f"  {len(collected)}/{total} points, {elapsed:.0f} s, "
                f"about {left:.0f} s left",
                file=sys.stderr,
                flush=True,
            )
    return collected


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
