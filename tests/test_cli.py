"The console script end to end, on tiny data."
import json, subprocess, sys
from pathlib import Path
import numpy as np

from cpa_nb.simulate import simulate_sciplex2

CLI = [str(Path(sys.executable).parent / 'cpa_nb')]  # the installed console script
TINY = ['--epochs', '2', '--n-cells', '1500', '--n-genes', '100', '--no-progress']


def run(*args):
    return subprocess.run([*CLI, 'sciplex2', *args], capture_output=True, text=True, timeout=600)


def test_default_run_writes_report_figures_and_model(tmp_path):
    r = run('--out', str(tmp_path), *TINY)
    assert r.returncode == 0, r.stderr
    assert 'held out Nutlin 0.5' in r.stdout
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert rep['dataset']['source'].startswith('simulated') and rep['dataset']['n_genes'] == 100
    assert rep['train']['epochs'] == 2 and rep['train']['cells_per_second'] > 0
    ood = [c for c in rep['conditions'] if c['split'] == 'ood']
    assert sorted(c['drug'] for c in ood) == ['BMS', 'Dex', 'Nutlin', 'SAHA']
    assert all(c['dose'] == '0.5' and c['truth'] is not None and c['baselines']['additive'] is None for c in ood)
    assert 0 <= rep['disentanglement']['drug'] <= 1
    assert (tmp_path / 'model' / 'model.pt').exists() and (tmp_path / 'MDM2_Nutlin_dose_response.png').exists()
    assert '![history](history.png)' in (tmp_path / 'report.md').read_text()


def test_user_file_without_split_gets_second_largest_dose_held_out(tmp_path):
    sim = simulate_sciplex2(n_cells=1500, n_genes=100, n_truth_cells=50)
    del sim.obs['split'], sim.uns['truth'], sim.uns['sim']
    sim.obs = sim.obs.rename(columns={'condition': 'drug'})
    path = tmp_path / 'mine.h5ad'; sim.write_h5ad(path)
    r = run('--adata', str(path), '--perturbation-key', 'drug', '--out', str(tmp_path / 'out'), *TINY)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'out' / 'report.json').read_text())
    assert rep['dataset']['source'] == str(path)
    assert {c['dose'] for c in rep['conditions'] if c['split'] == 'ood'} == {'0.5'}
    assert all(c['truth'] is None for c in rep['conditions'])  # no ground truth on a user's file


def test_bad_key_is_a_clear_error_and_writes_nothing(tmp_path):
    sim = simulate_sciplex2(n_cells=600, n_genes=60, n_truth_cells=20)
    path = tmp_path / 'x.h5ad'; sim.write_h5ad(path)
    out = tmp_path / 'out'
    r = run('--adata', str(path), '--dose-key', 'dose', '--out', str(out), *TINY)
    assert r.returncode == 2
    assert "obs has no column(s) ['dose']" in r.stderr and '--dose-key' in r.stderr
    assert 'Traceback' not in r.stderr
    assert not out.exists()


def test_bad_split_label_is_a_clear_error_before_training(tmp_path):
    sim = simulate_sciplex2(n_cells=600, n_genes=60, n_truth_cells=20)
    sim.obs['split'] = sim.obs['split'].astype(str).replace({'test': 'valid'})
    path = tmp_path / 'x.h5ad'; sim.write_h5ad(path)
    r = run('--adata', str(path), '--out', str(tmp_path / 'out'), *TINY)
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert "obs['split'] has value(s) ['valid']; split labels must be one of ['train', 'test', 'ood']" in r.stderr
    assert not (tmp_path / 'out').exists()


def test_ensemble_run_reports_the_members_spread(tmp_path):
    r = run('--out', str(tmp_path), *TINY, '--ensemble', '2')
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert rep['ensemble']['members'] == 2 and rep['train']['epochs'] == 4
    assert all(c['uncertainty']['ensemble_spread'] >= 0 for c in rep['conditions'])
    assert (tmp_path / 'model' / 'ensemble.json').exists()
    bad = run('--out', str(tmp_path / 'bad'), *TINY, '--ensemble', '0')
    assert bad.returncode == 2 and '1 or more' in bad.stderr and not (tmp_path / 'bad').exists()
