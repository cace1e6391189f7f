"""What nengo-lmu costs: construction, simulation against the public example,
and how the cost grows with the memory's order and neurons.

`benchmarks/speed.py` runs these; every timing is a ratio or an exponent
measured within one run (the machines are shared and noisy), CPU time beside
wall time.
"""

import time

import nengo
import numpy as np

from nengo_lmu import backends
from nengo_lmu.experiments.memory import measure
from nengo_lmu.memory import LMUMemory


def construction(order=256, theta=0.784, spiking_order=12, spiking_theta=2.0):
    """Seconds to construct the exact memory of ``order`` (psMNIST's), and to
    construct and build a spiking memory of ``spiking_order`` on nengo."""
    start = time.perf_counter()
    LMUMemory(order, theta, neuron_type=None)
    exact = time.perf_counter() - start
    start = time.perf_counter()
    with nengo.Network() as model:
        LMUMemory(spiking_order, spiking_theta)
    constructed = time.perf_counter() - start
    start = time.perf_counter()
    with nengo.Simulator(model, progress_bar=False):
        built = time.perf_counter() - start
    return {
        f"exact order {order} construct s": exact,
        f"spiking order {spiking_order} construct s": constructed,
        f"spiking order {spiking_order} build s": built,
        f"spiking order {spiking_order} construct + build s": constructed + built,
    }


def scaling_points(backend, orders=(4, 8, 16, 32, 64), counts=(25, 50, 100, 200, 400, 800),
                   order=6, n_neurons=100, sim_time=4.0):
    """`measure` points for the cost against order (at ``n_neurons`` per
    dimension) and against neurons per dimension (at ``order``)."""
    name = backends.get(backend).name
    config = {"sim_time": sim_time}
    points = [
        dict(backend=name, label=f"order {q}", config=dict(config, order=q),
             n_neurons=n_neurons)
        for q in orders
    ]
    points += [
        dict(backend=name, label=f"{n} per dim", config=dict(config, order=order),
             n_neurons=n)
        for n in counts
    ]
    return points


def exponent(sizes, costs):
    """The fitted exponent ``p`` of ``cost ~ size**p`` (log-log least squares)."""
    return float(np.polyfit(np.log(sizes), np.log(costs), 1)[0])
