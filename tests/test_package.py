"A user's first import gives the whole model: the methods the notebooks add to CPA are there however it is imported."
import subprocess, sys

import pytest

METHODS = ['fit', 'predict', 'target_table', 'uncertainty', 'latent', 'save', 'load']


@pytest.mark.parametrize('imports', ['from cpa_nb import CPA', 'from cpa_nb.model import CPA'])
def test_a_fresh_interpreter_gets_a_model_that_predicts(imports):
    missing = f"{imports}; print([m for m in {METHODS!r} if not hasattr(CPA, m)])"
    out = subprocess.run([sys.executable, '-c', missing], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '[]'
