"""keras-lmu models trained in Keras, converted (`nengo_lmu.from_keras`) and
run on every backend: the runs behind ``benchmarks/keras_lmu.py``.

- `keras_lmu_classifier`: keras-lmu's architecture for a sequence class
  (``LMU(memory_d=1, order, theta=seq_len, SimpleRNNCell(units))`` and a
  ``Dense`` readout of the last element), with a chosen hidden activation.
- `train_classifier`: train it (Adam, cross-entropy), optionally cached.
- `evaluate_converted`, `evaluate_stack`: the converted stack's accuracy on
  one backend, rate or spiking, beside Keras's own predictions.
- `loihi_aware`: the converted stack fine-tuned through Loihi's quantized
  neuron rates.
- `conversion_cost`: how long converting a model of about 100k parameters
  takes.
"""

import os
import time

import numpy as np

from nengo_lmu import from_keras


def keras_lmu_classifier(seq_len, input_d, n_classes, order, units, activation):
    """keras-lmu 0.9.0's ``LMU(hidden_cell=SimpleRNNCell(units))`` over the
    whole sequence (``theta = seq_len``), the class read by a ``Dense`` layer
    from the last element."""
    import keras_lmu
    import tensorflow as tf

    return tf.keras.Sequential(
        [
            tf.keras.layers.InputLayer((seq_len, input_d)),
            keras_lmu.LMU(
                memory_d=1,
                order=order,
                theta=seq_len,
                hidden_cell=tf.keras.layers.SimpleRNNCell(units, activation=activation),
            ),
            tf.keras.layers.Dense(n_classes),
        ]
    )


def train_classifier(
    data,
    order=32,
    units=128,
    activation="relu",
    epochs=30,
    batch_size=100,
    learning_rate=3e-3,
    seed=0,
    cache=None,
):
    """Train `keras_lmu_classifier` on a classification ``data`` dict.

    With ``cache`` (a folder), the trained weights are saved there and a
    later call with the same arguments loads them instead of training.

    Returns
    -------
    dict
        ``model``, test ``accuracy`` (Keras), ``train_s`` (0 when loaded),
        ``parameters``.
    """
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    seq_len, input_d = data["x"].shape[1:]
    n_classes = int(np.max(data["y"])) + 1
    model = keras_lmu_classifier(seq_len, input_d, n_classes, order, units, activation)
    model.compile(
        tf.keras.optimizers.Adam(learning_rate),
        tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    path = None
    if cache is not None:
        shape = f"{seq_len}x{input_d}_{order}_{units}_{activation}"
        path = os.path.join(cache, f"keras_lmu_{shape}_{epochs}_{seed}.npz")
    start = time.perf_counter()
    if path is not None and os.path.exists(path):
        with np.load(path) as saved:
            model.set_weights([saved[f"w{i}"] for i in range(len(saved.files))])
        train_s = 0.0
    else:
        model.fit(data["x"], data["y"], batch_size=batch_size, epochs=epochs, verbose=0)
        train_s = time.perf_counter() - start
        if path is not None:
            os.makedirs(cache, exist_ok=True)
            np.savez(path, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    _, accuracy = model.evaluate(data["x_test"], data["y_test"], verbose=0)
    return {
        "model": model,
        "accuracy": float(accuracy),
        "train_s": train_s,
        "parameters": model.count_params(),
    }


def evaluate_converted(
    model,
    data,
    backend="nengo",
    spiking=False,
    n=None,
    steps_per_element=1,
    rate_scale=1.0,
    keras_logits=None,
    progress=None,
    **options,
):
    """Convert ``model`` (`.from_keras`; ``options`` go to it:
    ``element_sync``, ``activations``, ``settle_steps``, ...) and score it
    with `evaluate_stack`."""
    start = time.perf_counter()
    stack = from_keras(
        model,
        backend=backend,
        spiking=spiking,
        steps_per_element=steps_per_element,
        rate_scale=rate_scale,
        **options,
    )
    convert_s = time.perf_counter() - start
    result = evaluate_stack(stack, data, n, keras_logits, progress)
    result["convert_s"] = convert_s
    result["wall_s"] += convert_s
    return result


def evaluate_stack(stack, data, n=None, keras_logits=None, progress=None):
    """Score ``stack`` (``predict_shape="last"``) on the first ``n`` test
    sequences.

    With ``keras_logits`` (``model.predict`` on the test sequences) the
    result also gives how often the stack's class agrees with Keras's and
    the largest logit difference relative to the largest logit.

    Returns
    -------
    dict
        ``backend``, ``spiking``, ``n``, ``steps_per_element``,
        ``rate_scale``, ``accuracy``, ``agreement``, ``max_rel_diff``,
        ``wall_s``.
    """
    x, y = data["x_test"][:n], data["y_test"][:n]
    start = time.perf_counter()
    outputs = stack.predict(x, progress=progress)
    rate_scales = sorted({float(layer.rate_scale) for layer in stack.layers})
    result = {
        "backend": stack.backend.name,
        "spiking": stack.spiking,
        "n": len(x),
        "steps_per_element": stack.steps_per_element,
        "rate_scale": rate_scales[-1],
        "accuracy": stack.score(outputs, y)["accuracy"],
        "agreement": None,
        "max_rel_diff": None,
        "wall_s": time.perf_counter() - start,
    }
    if keras_logits is not None:
        keras_logits = keras_logits[: len(x)]
        result["agreement"] = float(
            np.mean(np.argmax(outputs, -1) == np.argmax(keras_logits, -1))
        )
        result["max_rel_diff"] = float(
            np.max(np.abs(outputs - keras_logits)) / np.max(np.abs(keras_logits))
        )
    return result


def loihi_aware(
    model,
    data,
    rate_scale,
    epochs=5,
    learning_rate=1e-3,
    seed=0,
    steps_per_element=50,
    validation_split=0.1,
    progress=None,
):
    """``model`` converted and fine-tuned in NengoDL through the rate curve of
    Loihi's spiking rectified-linear neurons at ``rate_scale``
    (`.LoihiBackend.prepare_dl_training`), as the task networks' Loihi
    parameters are; returns the stack (spiking, Loihi neurons) and the
    training time.

    The last ``validation_split`` of the training sequences is held out:
    after each of the ``epochs`` (and before the first), the stack runs them
    spiking with Loihi's neurons on nengo, ``steps_per_element`` steps per
    element, and the parameters that score best there are kept (NengoDL's
    own validation would run its spiking neurons one step per element).
    """
    from nengo_lmu import training

    stack = from_keras(
        model,
        backend="dl",
        spiking=True,
        spiking_backend="loihi",
        rate_scale=rate_scale,
        seed=seed,
    )
    cut = len(data["x"]) - int(len(data["x"]) * validation_split)
    if cut == len(data["x"]):
        raise ValueError(f"validation_split={validation_split} holds out nothing")
    tune = {"x": data["x"][:cut], "y": data["y"][:cut]}
    held = {"x_test": data["x"][cut:], "y_test": data["y"][cut:]}
    spiking = dict(backend="nengo", steps_per_element=steps_per_element)

    def held_accuracy():
        replica = stack.replica(add_to_container=False, **spiking)
        return evaluate_stack(replica, held)["accuracy"]

    best = (held_accuracy(), stack.get_parameters())
    wall = 0.0
    for epoch in range(epochs):
        result = training.fit(
            stack, tune, epochs=1, learning_rate=learning_rate, verbose=0
        )
        wall += result["wall_s"]
        accuracy = held_accuracy()
        if progress is not None:
            progress(f"fine-tuning epoch {epoch + 1}: held-out {accuracy:.3f}")
        if accuracy > best[0]:
            best = (accuracy, stack.get_parameters())
    stack.set_parameters(best[1])
    return stack, wall

def conversion_cost(order=256, units=212, seq_len=784, seed=0):
    """Time `from_keras` and the simulator builds for keras-lmu's psMNIST
    architecture (``LMU(1, order, seq_len, SimpleRNNCell(units, relu),
    input_to_hidden=True)`` and ``Dense(10)``: 101,771 parameters).

    Returns
    -------
    dict
        ``parameters``, ``convert_s`` (reading the weights and making the
        stack), ``nengo_build_s`` and ``nengo_sequence_s`` (one sequence).
    """
    import keras_lmu
    import nengo
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.InputLayer((seq_len, 1)),
            keras_lmu.LMU(
                memory_d=1,
                order=order,
                theta=seq_len,
                hidden_cell=tf.keras.layers.SimpleRNNCell(units, activation="relu"),
                input_to_hidden=True,
            ),
            tf.keras.layers.Dense(10),
        ]
    )
    start = time.perf_counter()
    stack = from_keras(model)
    convert_s = time.perf_counter() - start
    start = time.perf_counter()
    sim = nengo.Simulator(stack, dt=stack.dt, progress_bar=False)
    build_s = time.perf_counter() - start
    x = np.random.RandomState(seed).uniform(0, 1, size=(1, seq_len, 1))
    with sim, stack.feeding(x):
        start = time.perf_counter()
        sim.run_steps(seq_len)
        sequence_s = time.perf_counter() - start
    return {
        "parameters": model.count_params(),
        "convert_s": convert_s,
        "nengo_build_s": build_s,
        "nengo_sequence_s": sequence_s,
    }
