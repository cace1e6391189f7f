import os
import subprocess
import sys

import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import data


def test_mnist1d_split():
    pytest.importorskip("mnist1d")
    d = data.mnist1d()
    assert d["x"].shape == (4000, 40, 1)
    assert d["x_test"].shape == (1000, 40, 1)
    assert set(np.unique(d["y"])) == set(range(10))


def test_psdigits_fixed_permutation_and_split():
    pytest.importorskip("sklearn")
    a, b = data.psdigits(), data.psdigits()
    assert a["x"].shape == (1300, 64, 1) and a["x_test"].shape == (497, 64, 1)
    assert np.array_equal(a["x"], b["x"]) and np.array_equal(a["y_test"], b["y_test"])
    assert 0 <= a["x"].min() and a["x"].max() <= 1


def test_psmnist_reads_a_local_file(tmp_path, rng):
    """A tiny stand-in in Keras' mnist.npz format; nothing is downloaded."""
    path = str(tmp_path / "mnist.npz")
    images = rng.randint(0, 256, size=(5, 28, 28)).astype(np.uint8)
    np.savez(
        path,
        x_train=images[:3],
        y_train=np.arange(3),
        x_test=images[3:],
        y_test=np.arange(2),
    )
    d = data.psmnist(path=path)
    assert d["x"].shape == (3, 784, 1) and d["x_test"].shape == (2, 784, 1)
    permutation = np.random.RandomState(0).permutation(784)
    assert np.allclose(d["x"][1, :, 0], images[1].ravel()[permutation] / 255.0)
    with pytest.raises(ValidationError, match="path"):
        data.psmnist(path=str(tmp_path / "missing.npz"))


def test_mackey_glass_predicts_ahead():
    d = data.mackey_glass(n_train=2, n_test=1, length=100, predict=15)
    # the target is the input 15 steps later
    assert np.allclose(d["y"][:, :-15], d["x"][:, 15:])
    assert d["x_test"].shape == (1, 100, 1)


def test_hold():
    x = np.arange(6.0).reshape(1, 3, 2)
    held = data.hold(x, 2)
    assert held.shape == (1, 6, 2)
    assert np.array_equal(held[0, ::2], x[0])
    with pytest.raises(ValidationError, match="steps_per_element"):
        data.hold(x, 0)


HIDE_DATA_EXTRA = """
import sys
for name in ("mnist1d", "sklearn"):
    sys.modules[name] = None  # import fails as if not installed
import pytest
sys.exit(pytest.main(["-o", "addopts=", "-p", "no:cacheprovider", "-rs",
                      "--doctest-modules", sys.argv[1]]))
"""


def test_doctests_skip_without_the_data_extra():
    """Without mnist1d and scikit-learn the examples that need them are
    skipped, naming the module, and the others still run."""
    path = os.path.join(os.path.dirname(data.__file__), "data.py")
    result = subprocess.run(
        [sys.executable, "-c", HIDE_DATA_EXTRA, path],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "passed, 2 skipped" in result.stdout and "failed" not in result.stdout
    assert "could not import 'mnist1d'" in result.stdout
    assert "could not import 'sklearn'" in result.stdout
