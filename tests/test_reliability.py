"Saving never leaves a half-written model behind."
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
