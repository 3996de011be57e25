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
    model = CPA(kang, 'condition', None, ['cell_type'], control='control', latent_dim=16, hidden_dim=64, min_epoch_cells=0)
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
    model = CPA(nm, 'condition', 'dose', ['cell_type'], control='control', latent_dim=16, hidden_dim=64, min_epoch_cells=0)
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


def _evaluate_cli(*args):
    import subprocess, sys
    from pathlib import Path
    cli = str(Path(sys.executable).parent / 'cpa_nb')
    return subprocess.run([cli, 'evaluate', *args, '--epochs', '2', '--min-epoch-cells', '0', '--no-progress'], capture_output=True, text=True, timeout=900)


def test_kang_held_out_cell_type_with_the_evaluate_command(shared_file, tmp_path):
    import json
    r = _evaluate_cli('--adata', str(shared_file('kang2018_ifnb_pbmc.h5ad')), '--perturbation-key', 'condition',
                      '--covariate-keys', 'cell_type', '--control', 'control',
                      '--ood', "cell_type == 'B' and condition == 'stimulated'", '--out', str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert 'held out B_stimulated_1' in r.stdout
    rep = json.loads((tmp_path / 'report.json').read_text())
    ood = [c for c in rep['conditions'] if c['split'] == 'ood']
    assert [c['condition'] for c in ood] == ['B_stimulated_1'] and ood[0]['dose'] is None and ood[0]['truth'] is None
    assert ood[0]['baselines']['additive'] is not None  # control + the stimulation shift of the other cell types
    assert ood[0]['baselines']['interpolation'] is None  # no doses to interpolate between
    assert ood[0]['uncertainty']['cosine'] > 0  # an unseen combination of drug and cell type
    assert "held out: cell_type == 'B' and condition == 'stimulated'" in (tmp_path / 'report.md').read_text()


NORMAN_DOUBLES = ['KLF1+MAP2K6', 'KLF1+TGFBR2', 'MAP2K3+MAP2K6', 'MAP2K3+SLC38A2', 'MAPK1+TGFBR2']


def test_norman_held_out_doubles_and_a_kinase_in_one_line(shared_file, read_h5ad, tmp_path):
    from cpa_nb.experiment import run_evaluate
    nm = read_h5ad(shared_file('norman2019_mcfaline2023_subset.h5ad'))
    singles = set(nm.obs.condition[nm.obs.cell_type == 'k562'])
    assert all(set(d.split('+')) <= singles for d in NORMAN_DOUBLES)  # their singles are trained on
    query = f"condition in {NORMAN_DOUBLES} or (condition == 'SGK1' and cell_type == 'A172')"
    rep = run_evaluate(nm.copy(), tmp_path, 'condition', 'dose', ['cell_type'], 'control', ood=query, epochs=2, progress=False, min_epoch_cells=0)
    ood = {c['condition']: c for c in rep['conditions'] if c['split'] == 'ood'}
    assert set(ood) == {f'k562_{d}_1+1' for d in NORMAN_DOUBLES} | {'A172_SGK1_1'}
    assert all(c['baselines']['additive'] is not None for c in ood.values())  # Δa + Δb, or SGK1's shift in T98G and U87MG
    assert all(np.isfinite(c['cpa']['r2_delta_deg']) for c in ood.values())


def test_cpa_format_sciplex2_file_runs_the_main_job(tmp_path):
    "A file shaped like CPA's GSM_new.h5ad: sparse X, its own split and DEG cache in uns"
    import json, subprocess, sys
    from pathlib import Path
    import scipy.sparse as sp
    from cpa_nb.simulate import simulate_sciplex2
    sim = simulate_sciplex2(n_cells=1500, n_genes=100, n_truth_cells=30, seed=2)
    del sim.uns['truth'], sim.uns['sim']
    sim.X = sp.csr_matrix(sim.X)
    names = sim.obs.cov_drug_dose_name.astype(str)
    sim.uns['rank_genes_groups_cov'] = {n: np.asarray(sim.var_names[::-1][:50]) for n in names.unique() if 'Vehicle' not in n}
    path = tmp_path / 'GSM_new.h5ad'; sim.write_h5ad(path)
    cli = str(Path(sys.executable).parent / 'cpa_nb')
    r = subprocess.run([cli, 'sciplex2', '--adata', str(path), '--out', str(tmp_path / 'out'), '--epochs', '2', '--min-epoch-cells', '0', '--no-progress'],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'out' / 'report.json').read_text())
    file_ood = set(names[sim.obs.split == 'ood'])
    assert {c['condition'] for c in rep['conditions'] if c['split'] == 'ood'} == file_ood  # the file's own split is used
    cfg = json.loads((tmp_path / 'out' / 'model' / 'config.json').read_text())
    assert cfg['degs']['A549_Nutlin_0.5'] == list(sim.var_names[::-1][:50])  # and its DEG cache
