"""NengoDL: nengo's semantics, run by TensorFlow, in minibatches."""

import nengo
import numpy as np
from nengo.exceptions import ConfigError

from nengo_lmu.backends.base import Backend


def _has_setting(network, name):
    try:
        return hasattr(network.config[nengo.Network], name)
    except ConfigError:
        return False


def frozen_objects(network):
    """The objects inside ``network`` that its nengo-lmu networks declare
    fixed (``network.frozen_objects()``), which training must not change."""
    objects = []
    for net in [network] + list(network.all_networks):
        objects.extend(getattr(net, "frozen_objects", list)())
    return objects


class DLBackend(Backend):
    """``nengo_dl.Simulator``: the same synapses and neurons as nengo, so a
    network mapped for either runs exactly on both; sequences run side by side
    in minibatches."""

    name = "dl"
    package = "nengo_dl"
    extra = "dl"
    description = "nengo_dl.Simulator (TensorFlow)"

    def probe_data(self, sim, probe):
        """``sim.data[probe]`` as ``(steps, dims)`` (NengoDL adds a leading
        minibatch axis)."""
        data = np.asarray(sim.data[probe])
        return data[0] if data.ndim == 3 else data

    def configure(self, network):
        """Give ``network`` (the toplevel network NengoDL will simulate) the
        NengoDL settings LMU networks need; idempotent.

        Trainable parameters are marked per object (``trainable=None``) and
        the objects that nengo-lmu's networks declare fixed (`frozen_objects`:
        the LMU memory's principle-3 mapping) are not trained; the simulator
        keeps no state between calls (``stateful=False``: every sequence
        starts from rest); and the graph is planned without merging operators:
        an LMU layer is a handful of small operators per step, and NengoDL's
        default planner merges them into gathers and scatters that cost more
        than they save (MNIST-1D's order-32 layer: 2.5 s an epoch unmerged
        against 9 s merged).
        """
        nengo_dl = self.import_module()
        if not _has_setting(network, "planner"):
            with network:
                nengo_dl.configure_settings(
                    trainable=None,
                    stateful=False,
                    planner=nengo_dl.graph_optimizer.noop_planner,
                )
        for obj in frozen_objects(network):
            network.config[obj].trainable = False
        return nengo_dl

    def spikes(self, stack, sequence):
        """None: NengoDL's count would be nengo's (`.Backend.spikes`)."""
        return None

    def run_sequences(self, stack, inputs, batch_size=100, progress=None):
        """All sequences in minibatches of ``batch_size`` (the last one padded
        with zeros); NengoDL starts every minibatch from rest."""
        nengo_dl = self.configure(stack)
        batch_size = min(batch_size, len(inputs))
        n_pad = -len(inputs) % batch_size
        padded = np.concatenate([inputs, np.zeros((n_pad,) + inputs.shape[1:])])
        with self.quiet():
            with nengo_dl.Simulator(
                stack,
                dt=stack.dt,
                minibatch_size=batch_size,
                progress_bar=False,
                seed=stack.seed,
            ) as sim:
                out = sim.predict(
                    {stack.input: padded}, n_steps=inputs.shape[1], verbose=0
                )
        return out[stack.probe][: len(inputs)]
