__version__ = "0.1.0"

# What a user needs, with every method the notebooks add to CPA (predict, uncertainty, ...) loaded: `from cpa_nb import CPA`.
# Importing any submodule runs this file first, so `from cpa_nb.model import CPA` also gives a CPA that predicts.
from .model import CPA
from . import uncertainty, predict
from .ensemble import CPAEnsemble
from .simulate import simulate_sciplex2
