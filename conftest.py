"""Test-session settings shared by the unit tests, doctests and notebooks."""

import os

import matplotlib

# notebooks run end to end in their fast mode unless told otherwise
os.environ.setdefault("NENGO_LMU_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
matplotlib.use("Agg")
