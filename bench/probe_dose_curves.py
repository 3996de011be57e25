"""Probe (not in the package): K Hill curves per drug, each scaling its own embedding; K=0 leaves the model as it is (one curve).
Trains on the main job's simulated sci-Plex2 (seed S), evaluates every split, prints validation, trained test conditions' truth R2 and held-out wins.
Usage: .venv/bin/python bench/probe_dose_curves.py --K 2 --seed 1 [--patience 0 --epochs 90]  (patience 0: no early stopping)
"""
import time, warnings, argparse
import torch, torch.nn as nn
warnings.simplefilter('ignore')
ap = argparse.ArgumentParser(); ap.add_argument('--seed', type=int, default=0); ap.add_argument('--K', type=int, default=2)
ap.add_argument('--delta', type=float, default=1.0); ap.add_argument("--threads", type=int, default=2); ap.add_argument("--patience", type=int, default=20); ap.add_argument("--epochs", type=int, default=150)
a = ap.parse_args(); torch.set_num_threads(a.threads)
from cpa_nb import simulate_sciplex2, CPA
from cpa_nb.evaluate import evaluate, evaluation_table
from cpa_nb.dosers import HillDoser

class MultiHill(nn.Module):
    def __init__(self, base:HillDoser, K, delta):
        super().__init__()
        off = torch.linspace(-delta, delta, K) if K > 1 else torch.zeros(1)
        self.log_k = nn.Parameter(base.log_k.detach()[:, None] + off[None])
        self.log_h = nn.Parameter(base.log_h.detach()[:, None].repeat(1, K))
    def forward(self, doses):
        pos = (doses > 0)[..., None]
        ld = torch.log(torch.where(pos, doses[..., None], torch.ones_like(doses[..., None])))
        s = torch.where(pos, torch.sigmoid(self.log_h.exp() * (ld - self.log_k)), torch.zeros(()))
        return s.flatten(1)

orig_init = CPA.__init__
def init(self, *args, **kw):  # the one-curve doser is built and started at the fitted curves, then widened
    orig_init(self, *args, **kw)
    if a.K >= 1:
        m = self.module; n, L = len(self.vocab.drugs), m.drug_embedding.weight.shape[1]
        m.doser = MultiHill(m.doser, a.K, a.delta)
        emb = nn.Embedding(n * a.K, L)
        with torch.no_grad(): emb.weight.copy_(m.drug_embedding.weight.repeat_interleave(a.K, 0) / a.K + 0.1 * torch.randn(n * a.K, L))
        m.drug_embedding = emb
CPA.__init__ = init

sim = simulate_sciplex2(n_cells=15000, n_genes=2000, seed=a.seed)
t0 = time.perf_counter()
m = CPA(sim, 'condition', 'dose_val', ['cell_type'], 'Vehicle', 'split', seed=a.seed)
m.fit(max_epochs=a.epochs, patience=a.patience if a.patience > 0 else None, progress=False)
tab = evaluation_table(evaluate(m, sim))
ood = tab[tab.split == 'ood'].pivot_table(index='drug', columns='method', values='truth_r2_mean_deg')
tr = tab[(tab.split == 'test') & (tab.method == 'cpa')].truth_r2_mean_deg
print(f"K={a.K} delta={a.delta} seed={a.seed} epochs={m.epochs_trained} {time.perf_counter()-t0:.0f}s valid={m.validation_score():.4f} "
      f"test-cond truth R2 mean {tr.mean():.4f} min {tr.min():.4f}")
print(' '.join(f"{d}:{r.cpa:.4f}/{r.interpolation:.4f}" for d, r in ood.iterrows()), ' wins', int((ood.cpa > ood.interpolation).sum()))
