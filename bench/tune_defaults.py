"""Choose CPAParams defaults on the validation split of the simulated sci-Plex2 (never on the held-out dose).

For each candidate, trains up to --epochs epochs (early stopping, patience 20) and prints the best validation score
(pooled R2 of the predicted vs real change from control over each condition's top-50 DEGs, test split).
Usage: .venv/bin/python bench/tune_defaults.py [--epochs 80] [--threads 2]
"""
import argparse, time, warnings

import torch

p = argparse.ArgumentParser()
p.add_argument('--epochs', type=int, default=80)
p.add_argument('--threads', type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)
warnings.simplefilter('ignore')

from cpa_nb.simulate import simulate_sciplex2  # noqa: E402
from cpa_nb.model import CPA  # noqa: E402

ORIGINAL_LIKE = dict(lr=1e-3, doser_lr=4e-3, balance=0.)
CANDIDATES = [ORIGINAL_LIKE,
              {**ORIGINAL_LIKE, 'latent_dim': 128, 'hidden_dim': 512},
              {**ORIGINAL_LIKE, 'batch_size': 128},
              {**ORIGINAL_LIKE, 'reg_adv': 2., 'penalty_adv': 0.5},
              {**ORIGINAL_LIKE, 'reg_adv': 20.},
              {**ORIGINAL_LIKE, 'doser_lr': 4e-4},
              {**ORIGINAL_LIKE, 'doser_lr': 4e-4, 'lr': 3e-3},
              {**ORIGINAL_LIKE, 'doser_lr': 4e-4, 'lr': 3e-3, 'balance': 0.5},
              {**ORIGINAL_LIKE, 'doser_lr': 4e-4, 'lr': 3e-3, 'balance': 1.0}]

sim = simulate_sciplex2()
for kw in CANDIDATES:
    t0 = time.perf_counter()
    m = CPA(sim, 'condition', 'dose_val', ['cell_type'], control='Vehicle', split_key='split', **kw)
    m.fit(max_epochs=args.epochs, patience=20, progress=False)
    print(f"{kw}: best validation score {m.history_df.valid_score.max():.3f} "
          f"({m.epochs_trained} epochs, {time.perf_counter() - t0:.0f} s)", flush=True)
