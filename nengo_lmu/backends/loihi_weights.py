"""Loihi's weight grid, met on purpose.

nengo-loihi 1.1 rounds every weight to the nearest point of its block's grid
(builder/discretize.py): the synapses into one block share the scale
``w_scale = 255 / w_max`` (``w_max``, the block's largest weight) and an
exponent ``w_exp`` (lowered below 0 until the neurons' threshold fits its 23
bits), and each synapse keeps 8-bit signed weights whose bits below the
block's exponent are shifted away, so that its weights become multiples of
``2**max(shift - dw, -w_exp) / w_scale`` (``shift`` 1 for signed weights;
``dw``: how many powers of 2 its largest weight lies below ``w_max``).  An LMU
memory's recurrent weights are a few grid steps each (2-25 at 100 neurons per
dimension, fewer with more neurons), so rounding each to nearest changes the
currents they compute by 5-10 %, more with more neurons: the memory's error
rose from 0.047 at 100 neurons per dimension to 0.08 at 200 and 0.41 at 400.

`WeightRoundingModel` builds as nengo-loihi does, then, before nengo-loihi
discretizes, puts the weights of every connection a nengo-lmu network lists in
`~.MappedNetwork.weight_connections` onto the grid with `.round_to_grid`
(rounding errors sent where the pre neurons' rates cannot see them), so that
nengo-loihi's own rounding leaves them exactly as they are.  One hazard of the
chip's shift is avoided too: a synapse whose largest weight is one grid step
gets its exponent clamped and runs twice as strong, so such a synapse is
rounded on a grid twice as coarse.
"""

import copy
import functools
import re

import nengo
import numpy as np
from nengo.builder.ensemble import get_activities

from nengo_lmu.backends.mapped import MappedNetwork
from nengo_lmu.quantize import gram_factor, rate_gram, round_to_grid

#: Tries for a block whose grid moves when its largest weight is rounded.
GRID_TRIES = 3


@functools.lru_cache(maxsize=None)
def model_class():
    """`WeightRoundingModel`, a subclass of nengo-loihi's build model (made
    on first use, so that nengo-loihi is imported only when it is needed)."""
    from nengo_loihi.builder import Model
    from nengo_loihi.builder.discretize import discretize_model
    from nengo_loihi.builder.validate import validate_model

    class WeightRoundingModel(Model):
        """nengo-loihi's build model, with nengo-lmu's recurrent weights put
        on the chip's grid (`round_weights`) before nengo-loihi discretizes
        the model.  Pass it as ``nengo_loihi.Simulator(..., model=...)``;
        `nengo_lmu.Simulator` does."""

        def build(self, obj, *args, **kwargs):
            if self.toplevel is not None or not isinstance(obj, nengo.Network):
                return super().build(obj, *args, **kwargs)
            discretize = kwargs.pop("discretize", True)
            built = super().build(obj, *args, discretize=False, **kwargs)
            if discretize:
                self.weight_rounding = round_weights(self, obj)
                discretize_model(self)
                validate_model(self)
            return built

    return WeightRoundingModel


def round_weights(model, network):
    """Put the weights of every `~.MappedNetwork.weight_connections` in
    ``network`` on its block's grid; returns one dict per synapse (``label``,
    ``step``, and the relative current errors ``nearest_error`` and
    ``error`` of rounding to nearest and of `.round_to_grid`)."""
    by_block, moments = {}, {}
    for net in [network] + list(network.all_networks):
        if not isinstance(net, MappedNetwork):
            continue
        for conn, points in net.weight_connections():
            pre = conn.pre_obj
            if pre not in moments:  # one pre ensemble feeds many blocks
                rates = get_activities(model.params[pre], pre, points)
                gram = rate_gram(rates)
                moments[pre] = rates, gram, gram_factor(gram)
            for block, synapse in built_synapses(model, conn):
                by_block.setdefault(block, []).append((synapse, *moments[pre]))
    report = []
    for block, entries in by_block.items():
        report.extend(round_block(block, entries))
    return report


def built_synapses(model, conn):
    """``(block, synapse)`` holding ``conn``'s neuron-to-neuron weights, one
    per block its post ensemble was split into (nengo-loihi labels the parts
    of a split synapse ``label[k]``)."""
    built = model.objs.get(conn, {}).get("weights")
    if built is None or not isinstance(conn.pre_obj, nengo.Ensemble):
        return []
    blocks = model.objs[conn.post_obj]["in"]
    blocks = blocks if isinstance(blocks, list) else [blocks]
    part = re.compile(re.escape(str(built.label)) + r"\[\d+\]$")
    return [
        (block, synapse)
        for block in blocks
        for synapse in block.synapses
        if (synapse is built or part.match(str(synapse.label)))
        and synapse.n_axons == conn.pre_obj.n_neurons
    ]


def round_block(block, entries):
    """Round ``entries`` (``(synapse, pre rates, their gram, its
    `.gram_factor`)``) into ``block`` on its grid, again while rounding moves
    the grid (the block's largest weight may be one of them)."""
    entries = [entry for entry in entries if own_rows(entry[0])]
    originals = [synapse_matrix(entry[0]) for entry in entries]
    for _ in range(GRID_TRIES):
        grid = block_grid(block)
        report = []
        for (synapse, rates, gram, factor), weights in zip(entries, originals):
            rounded, step = round_synapse(synapse, weights, gram, factor, grid)
            set_synapse_matrix(synapse, rounded)
            report.append(rounding_report(synapse, weights, rounded, rates, step))
        if block_grid(block) == grid:
            break
    return report


def block_grid(block):
    """``(w_max, w_scale, w_exp)`` that nengo-loihi will give ``block``
    (computed by its own function, on a copy)."""
    from nengo_loihi.builder.discretize import discretize_compartment

    w_max = max(synapse.max_abs_weight() for synapse in block.synapses)
    info = discretize_compartment(copy.deepcopy(block.compartment), w_max)
    return float(w_max), float(info["w_scale"]), int(info["w_exp"])


def grid_step(synapse, largest, grid):
    """The step of ``synapse``'s weights on the chip when its largest weight
    is ``largest``: ``2**max(shift - dw, -w_exp) / w_scale``."""
    w_max, w_scale, w_exp = grid
    below = int(np.floor(np.log2(w_max / largest))) if largest > 0 else 0
    return 2.0 ** max(synapse.synapse_cfg.shift_bits - below, -w_exp) / w_scale


def round_synapse(synapse, weights, gram, factor, grid):
    """``weights`` on ``synapse``'s grid, and the step used: the step follows
    the rounded weights' largest, and a synapse whose largest is one step of
    the block's grid (which the chip would run at twice its strength) is
    rounded on a grid twice as coarse."""
    w_max, w_scale, w_exp = grid
    block_step = 2.0**-w_exp / w_scale
    step = grid_step(synapse, np.abs(weights).max(), grid)
    for _ in range(GRID_TRIES):
        rounded = round_to_grid(
            weights, gram, step, limit=np.floor(w_max / step), factor=factor
        )
        largest = np.abs(rounded).max()
        if largest == 0:
            return rounded, step
        if largest < 1.5 * block_step:
            step *= 2
            continue
        new_step = grid_step(synapse, largest, grid)
        if new_step <= step:
            return rounded, step
        step = new_step
    return rounded, step


def rounding_report(synapse, weights, rounded, rates, step):
    def error(other):
        return np.linalg.norm(rates @ (other - weights)) / np.linalg.norm(rates @ weights)

    return {
        "label": str(synapse.label),
        "step": step,
        "nearest_error": float(error(np.round(weights / step) * step)),
        "error": float(error(rounded)),
    }


def own_rows(synapse):
    """Whether each of ``synapse``'s axons has weights of its own (a split
    synapse shares the rows of axons with equal weights)."""
    rows = [synapse.axon_weight_idx(i) for i in range(synapse.n_axons)]
    return len(set(rows)) == len(rows)


def synapse_matrix(synapse):
    """A dense synapse's weights as ``(axons, compartments)``."""
    return np.vstack(
        [synapse.weights[synapse.axon_weight_idx(i)] for i in range(synapse.n_axons)]
    ).astype(float)


def set_synapse_matrix(synapse, weights):
    for i, row in enumerate(weights):
        synapse.weights[synapse.axon_weight_idx(i)][:] = row


__all__ = ["model_class", "round_weights"]
