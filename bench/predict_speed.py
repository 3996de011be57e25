"""Prediction throughput: `CPA.predict` of many sparse cells under one target, with and without the variance.

A default-architecture model (trained 1 epoch on 5,000 of the cells: the weights do not change the work) predicts all
--n-cells simulated cells (sparse CSR, ~45% non-zero) under Nutlin 0.5; calls alternate between variance=True and
variance=False, in float32 and under bfloat16 autocast (autocast=True), in one process, --repeats of each, after a warm-up.
Prints cells/s for each and the ratios. Then the same model with 4 weight snapshots (copies of its weights: the work is what
it would be with any weights), as every model trained 40 epochs or more has them: float32, with and without the variance and with and
without their disagreement on the target (`disagreement=True`, the default: each snapshot predicts up to 2,000 of the source cells).

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
m.predict(sim[:1000], 'Nutlin', 0.5); m.predict(sim[:1000], 'Nutlin', 0.5, autocast=True)  # warm-up
modes = [(variance, autocast) for variance in (True, False) for autocast in (False, True)]
rates = {mode: [] for mode in modes}
for _ in range(args.repeats):
    for variance, autocast in modes:
        t0 = time.perf_counter(); p = m.predict(sim, 'Nutlin', 0.5, variance=variance, autocast=autocast)
        rates[variance, autocast].append(sim.n_obs / (time.perf_counter() - t0))
        del p
med = {mode: np.median(r) for mode, r in rates.items()}
print(f"{sim.n_obs:,} cells x {sim.n_vars:,} genes, {sim.X.nnz / np.prod(sim.X.shape):.0%} non-zero, {args.threads} threads")
for (variance, autocast), r in rates.items():
    label = f"{'with the variance' if variance else 'means only       '}, {'bfloat16 autocast' if autocast else 'float32          '}"
    print(f"{label}: median {med[variance, autocast]:,.0f} cells/s ({' / '.join(f'{x:,.0f}' for x in r)})")
print(f"means only / with the variance: {med[False, False] / med[True, False]:.2f}x (float32), {med[False, True] / med[True, True]:.2f}x (autocast)")
print(f"autocast / float32: {med[True, True] / med[True, False]:.2f}x (with the variance), {med[False, True] / med[False, False]:.2f}x (means only)")

m.snapshots = [{k: v.clone() for k, v in m.module.state_dict().items()} for _ in range(4)]
with_snaps = {(variance, dis): [] for variance in (True, False) for dis in (True, False)}
for _ in range(args.repeats):
    for variance, dis in with_snaps:
        t0 = time.perf_counter(); p = m.predict(sim, 'Nutlin', 0.5, variance=variance, disagreement=dis)
        with_snaps[variance, dis].append(sim.n_obs / (time.perf_counter() - t0))
        del p
for variance in (True, False):
    on, off = np.median(with_snaps[variance, True]), np.median(with_snaps[variance, False])
    print(f"4 weight snapshots, float32, {'with the variance' if variance else 'means only'}: with their disagreement {on:,.0f} cells/s, "
          f"without {off:,.0f} ({on / off:.2f}x: {sim.n_obs / on - sim.n_obs / off:.2f} s more a call)")
