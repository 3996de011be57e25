"CPA on the real datasets in ../shared/data (skipped with a message where that folder is absent)."
import numpy as np
import pandas as pd
import pytest

from cpa_nb.model import CPA
from cpa_nb.evaluate import evaluate
import cpa_nb.predict  # noqa: F401


def test_kang_no_dose_key_sparse_x(shared_file, read_h5ad):
    kang = read_h5ad(shared_file('kang2018_ifnb_pbmc.h5ad'))
    kang = kang[:, :800].copy()
    model = CPA(kang, 'condition', None, ['cell_type'], control='control', latent_dim=16, hidden_dim=64)
    assert model.vocab.drugs == ['stimulated']
    assert len(model.vocab.covariates['cell_type']) == 7
    assert 'CD4T_stimulated_1' in model.degs and len(model.degs['CD4T_stimulated_1']) == 50
    model.fit(max_epochs=2, progress=False)
    ctrl = kang[(kang.obs.condition == 'control') & (kang.obs.cell_type == 'CD4T')]
    pred = model.predict(ctrl, 'stimulated')  # no dose key: dose 1
    assert pred.shape == (ctrl.n_obs, 800)
    assert set(pred.obs.cell_type) == {'CD4T'}  # covariates not given: each cell keeps its own
    assert (pred.obs.uncertainty_cosine == 0).all()  # a trained condition


def test_norman_combinations(shared_file, read_h5ad):
    nm = read_h5ad(shared_file('norman2019_mcfaline2023_subset.h5ad'))
    model = CPA(nm, 'condition', 'dose', ['cell_type'], control='control', latent_dim=16, hidden_dim=64)
    combos = [c for c in nm.obs.condition.unique() if '+' in c]
    assert combos and all(g in model.vocab.drugs for c in combos for g in c.split('+'))
    model.fit(max_epochs=2, progress=False)
    a, b = combos[0].split('+')
    ctrl = nm[(nm.obs.condition == 'control') & (nm.obs.cell_type == 'k562')][:50]
    pred = model.predict(ctrl, conditions=pd.DataFrame({'perturbation': [a, f'{a}+{b}'], 'dose': ['1', '1+1'], 'cell_type': 'k562'}))
    assert pred.n_obs == 100
    records = evaluate(model, nm, splits=['test'])
    combo = [r for r in records if '+' in r['drug']]
    assert combo and any(r['baselines']['additive'] is not None for r in combo)  # sum of single-gene shifts
    with pytest.raises(KeyError, match='unknown drug'):
        model.predict(ctrl, 'NOTAGENE', '1')
