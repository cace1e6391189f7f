"""Weights rounded onto a chip's grid (`nengo_lmu.quantize`), and the Loihi
build that uses it (`nengo_lmu.backends.loihi_weights`)."""

import nengo
import numpy as np
import pytest
from nengo.builder.ensemble import get_activities
from nengo.exceptions import ValidationError

import nengo_lmu
from nengo_lmu.experiments.memory import white_noise
from nengo_lmu.quantize import rate_gram, round_to_grid

from .conftest import requires_loihi


def ensemble_rates(rng, n_points=400, n_neurons=40):
    """Rates of rectified-linear neurons encoding one value: correlated."""
    x = rng.uniform(-1, 1, size=(n_points, 1))
    encoders = rng.choice([-1, 1], size=(1, n_neurons))
    return np.maximum(0, x @ encoders * rng.uniform(50, 150, n_neurons) + 20)


def current_error(rates, weights, rounded):
    return np.linalg.norm(rates @ (rounded - weights)) / np.linalg.norm(rates @ weights)


def test_rounding_on_the_grid_beats_nearest_on_correlated_rates(rng):
    rates = ensemble_rates(rng)
    weights = rng.randn(40, 30) * 0.03
    step = 0.02
    rounded = round_to_grid(weights, rate_gram(rates), step)
    levels = rounded / step
    assert np.allclose(levels, np.round(levels), atol=1e-9)
    nearest = np.round(weights / step) * step
    assert current_error(rates, weights, rounded) < current_error(rates, weights, nearest) / 5


def test_uncorrelated_rates_give_rounding_to_nearest(rng):
    # with a diagonal gram no row can stand in for another: nothing to pass on
    weights = rng.randn(20, 5) * 0.07
    gram = np.diag(rng.uniform(1, 2, size=20))
    rounded = round_to_grid(weights, gram, step=0.05)
    assert np.array_equal(rounded, np.round(weights / 0.05) * 0.05)


def test_limit_bounds_the_levels(rng):
    rates = ensemble_rates(rng)
    weights = rng.randn(40, 4)
    rounded = round_to_grid(weights, rate_gram(rates), step=0.5, limit=3)
    assert np.abs(rounded).max() <= 1.5 + 1e-12


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        ({"weights": np.ones((3, 2)), "gram": np.eye(2), "step": 0.1}, "gram"),
        ({"weights": np.ones((2, 2)), "gram": np.eye(2), "step": 0.0}, "step"),
        ({"weights": np.ones((2, 2)), "gram": np.eye(2), "step": np.nan}, "step"),
        ({"weights": np.ones((2, 2)), "gram": -np.eye(2), "step": 0.1}, "gram"),
    ],
)
def test_bad_rounding_arguments_refused(kwargs, attr):
    with pytest.raises(ValidationError) as error:
        round_to_grid(**kwargs)
    assert error.value.attr == attr


def memory_network(n_neurons):
    with nengo.Network(seed=3) as net:
        stim = nengo.Node(white_noise(1.0, 1.0, 0.3, seed=3))
        memory = nengo_lmu.LMUMemory(
            4, 1.0, n_neurons=n_neurons, backend="loihi", seed=3
        )
        nengo.Connection(stim, memory.input, synapse=None)
    return net, memory


def chip_weights(block, synapse):
    """The weights the chip applies, from nengo-loihi's integers."""
    from nengo_lmu.backends.loihi_weights import synapse_matrix

    info = block.compartment.discretize_info
    return synapse_matrix(synapse) / (info["w_scale"] * 2.0 ** (6 + info["w_exp"]))


@requires_loihi
@pytest.mark.parametrize("n_neurons", [50, 200])  # 200: split over several cores
def test_chip_runs_the_weights_rounded_for_it(n_neurons):
    from nengo_lmu.backends.loihi_weights import built_synapses, synapse_matrix

    net, memory = memory_network(n_neurons)
    chip = nengo_lmu.Simulator(net, backend="loihi", target="sim")
    floats = nengo_lmu.Simulator(net, backend="loihi", target="simreal")
    report = {entry["label"]: entry for entry in chip.model.weight_rounding}
    checked = 0
    for conn, points in memory.weight_connections():
        pre = conn.pre_obj
        rates = get_activities(chip.model.params[pre], pre, points)
        parts = zip(built_synapses(chip.model, conn), built_synapses(floats.model, conn))
        for (block, synapse), (_, float_synapse) in parts:
            weights = synapse_matrix(float_synapse)
            error = current_error(rates, weights, chip_weights(block, synapse))
            entry = report[str(synapse.label)]
            # what the chip runs is what the rounding chose, not twice it
            assert error == pytest.approx(entry["error"], rel=0.05, abs=1e-4)
            assert entry["error"] < entry["nearest_error"] / 4 + 1e-3
            checked += 1
    assert checked >= len(memory.pair_connections)
    errors = [entry["error"] for entry in report.values()]
    assert np.mean(errors) < 0.01
