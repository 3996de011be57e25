"Saving never leaves a half-written model behind; a killed training run resumes to the same weights."
import json
import pytest
import torch

from cpa_nb.simulate import simulate_sciplex2
from cpa_nb.model import CPA


def test_failed_save_keeps_the_previous_model(tmp_path, monkeypatch):
    sim = simulate_sciplex2(n_cells=800, n_genes=60, n_truth_cells=20)
    model = CPA(sim, 'condition', 'dose_val', ['cell_type'], control='Vehicle', split_key='split', latent_dim=8, hidden_dim=16)
    model.save(tmp_path)
    before = (tmp_path / 'model.pt').read_bytes()
    model.fit(max_epochs=1, progress=False)

    def broken_save(obj, f, *a, **k):
        open(f, 'wb').write(b'partial')
        raise OSError('disk full')
    monkeypatch.setattr(torch, 'save', broken_save)
    with pytest.raises(OSError, match='disk full'):
        model.save(tmp_path)
    assert (tmp_path / 'model.pt').read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['config.json', 'model.pt']  # no temporary file left
    monkeypatch.undo()
    assert CPA.load(tmp_path).epochs_trained == 0


TRAIN_SCRIPT = r'''
import sys, torch
torch.set_num_threads(1)
from cpa_nb.simulate import simulate_sciplex2
from cpa_nb.model import CPA
ckpt, out, resume = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
sim = simulate_sciplex2(n_cells=3000, n_genes=200, n_truth_cells=20, seed=1)
model = CPA(sim, 'condition', 'dose_val', ['cell_type'], control='Vehicle', split_key='split', latent_dim=16, hidden_dim=64, min_epoch_cells=0)
model.fit(max_epochs=12, patience=None, progress=False, checkpoint_dir=ckpt, resume=resume)
torch.save(model.module.state_dict(), out)
'''


def _train(tmp_path, name, resume=False, wait=True):
    import subprocess, sys
    args = [sys.executable, '-c', TRAIN_SCRIPT, str(tmp_path / f'ckpt_{name}'), str(tmp_path / f'{name}.pt'), '1' if resume else '0']
    return subprocess.run(args, capture_output=True, text=True, timeout=600) if wait else subprocess.Popen(args)


def test_sigkill_mid_run_then_resume_gives_the_uninterrupted_weights(tmp_path):
    import os, signal, time
    whole = _train(tmp_path, 'whole')
    assert whole.returncode == 0, whole.stderr
    proc = _train(tmp_path, 'killed', wait=False)
    ckpt = tmp_path / 'ckpt_killed' / 'checkpoint.pt'
    deadline = time.time() + 300
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline: time.sleep(0.01)
    time.sleep(0.3)  # into a later epoch, maybe mid-way through writing the next checkpoint
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    assert proc.returncode == -signal.SIGKILL and not (tmp_path / 'killed.pt').exists(), 'the run finished before it was killed'
    epochs_done = json.loads(torch.load(ckpt, weights_only=True)['config'])['epochs_trained']
    assert 1 <= epochs_done < 12
    resumed = _train(tmp_path, 'killed', resume=True)
    assert resumed.returncode == 0, resumed.stderr
    assert [p.name for p in ckpt.parent.iterdir()] == ['checkpoint.pt']  # a temporary file a kill left behind is cleaned up
    a, b = torch.load(tmp_path / 'whole.pt', weights_only=True), torch.load(tmp_path / 'killed.pt', weights_only=True)
    assert a.keys() == b.keys()
    for k in a: assert torch.equal(a[k], b[k]), k
