"""Prediction throughput: `CPA.predict` of many sparse cells under one target, with and without the variance.

A default-architecture model (trained 1 epoch on 5,000 of the cells: the weights do not change the work) predicts all
--n-cells simulated cells (sparse CSR, ~45% non-zero) under Nutlin 0.5; calls alternate between variance=True and
variance=False in one process, --repeats of each, after a warm-up. Prints cells/s for each and their ratio.

Usage: .venv/bin/python bench/predict_speed.py [--n-cells 40000] [--n-genes 2000] [--threads 2] [--repeats 3]
"""
import argparse, time, warnings
import numpy as np, scipy.sparse as sp, torch

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument('--n-cells', type=int, default=40000); ap.add_argument('--n-genes', type=int, default=2000)
ap.add_argument('--threads', type=int, default=2); ap.add_argument('--repeats', type=int, default=3)
args = ap.parse_args()
torch.set_num_threads(args.threads); warnings.simplefilter('ignore')
from cpa_nb.simulate import simulate_sciplex2  # noqa: E402
from cpa_nb.model import CPA  # noqa: E402
import cpa_nb.predict  # noqa: E402,F401

sim = simulate_sciplex2(n_cells=args.n_cells, n_genes=args.n_genes, seed=0)
sim.X = sp.csr_matrix(sim.X)
subset = np.sort(np.random.default_rng(0).choice(sim.n_obs, min(5000, sim.n_obs), replace=False))
m = CPA(sim[subset].copy(), 'condition', 'dose_val', ['cell_type'], control='Vehicle', split_key='split')
m.fit(max_epochs=1, progress=False)
m.predict(sim[:1000], 'Nutlin', 0.5)  # warm-up
rates = {True: [], False: []}
for _ in range(args.repeats):
    for variance in (True, False):
        t0 = time.perf_counter(); p = m.predict(sim, 'Nutlin', 0.5, variance=variance); rates[variance].append(sim.n_obs / (time.perf_counter() - t0))
        del p
print(f"{sim.n_obs:,} cells x {sim.n_vars:,} genes, {sim.X.nnz / np.prod(sim.X.shape):.0%} non-zero, {args.threads} threads")
for variance, label in ((True, 'with the variance'), (False, 'means only       ')):
    print(f"{label}: median {np.median(rates[variance]):,.0f} cells/s ({' / '.join(f'{r:,.0f}' for r in rates[variance])})")
print(f"means only / with the variance: {np.median(rates[False]) / np.median(rates[True]):.2f}x")
