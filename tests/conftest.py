import importlib.util
import warnings

import pytest

HAVE_DL = importlib.util.find_spec("nengo_dl") is not None
HAVE_LOIHI = importlib.util.find_spec("nengo_loihi") is not None

requires_dl = pytest.mark.skipif(not HAVE_DL, reason="needs nengo-lmu[dl]")
requires_loihi = pytest.mark.skipif(not HAVE_LOIHI, reason="needs nengo-lmu[loihi]")


@pytest.fixture(autouse=True)
def quiet_backends():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*weight rounding.*")
        warnings.filterwarnings("ignore", message=".*native TensorFlow.*")
        yield
