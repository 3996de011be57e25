"""Out-of-core training: one epoch on a 1,000,000-cell x 2,000-gene sparse h5ad read backed from disk.

    python bench/scale.py [--n-cells 1000000] [--json out.json]

1. Writes (once; reused if present with the same shape) a simulated sparse h5ad of `--n-cells` cells x `--n-genes`
   genes with about `--density` non-zeros: sci-Plex2-like obs (4 drugs x 7 doses + Vehicle, one cell line, a 90/10
   train/test split, cells in random order), drug effects on 50 genes per drug growing with dose. It is written chunk by
   chunk (anndata's sparse_dataset.append), so writing never holds the matrix in memory either.
2. In a fresh process: opens it with read_h5ad(backed='r'), builds CPA (the DEGs come from at most 5,000 cells per
   condition) and trains one epoch streamed (chunks of 8,192 rows, 8 chunks per shuffle window). Reports the epoch's
   cells/s and the process's peak RSS (ru_maxrss, which covers set-up, the epoch and the end-of-epoch validation).
3. In another fresh process: the first `--in-memory-cells` cells of the same file loaded and densified in memory,
   one epoch of the in-memory path with the same hyperparameters: the throughput the streamed path is compared with.

Both training runs use the same torch thread count (--threads, default: all cores).
`--json out.json` writes {"n_cells", "cells_per_s", "peak_rss_gb", "in_memory_cells_per_s"} and the set-up.
"""
import argparse, json, os, resource, subprocess, sys, time
from pathlib import Path

import numpy as np

DRUGS, DOSES = ['BMS', 'Dex', 'Nutlin', 'SAHA'], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0]
KEYS = dict(perturbation_key='condition', dose_key='dose_val', covariate_keys=['cell_type'], control='Vehicle', split_key='split')


def write_h5ad(path: Path, n_cells: int, n_genes: int, density: float, seed: int = 0, chunk: int = 10_000):
    "Simulated sparse sci-Plex2-like data, written chunk by chunk"
    import anndata as ad, h5py, pandas as pd, scipy.sparse as sp
    rng = np.random.default_rng(seed)
    conds = [('Vehicle', 0.0)] + [(d, x) for d in DRUGS for x in DOSES]
    which = rng.integers(len(conds), size=n_cells)
    obs = pd.DataFrame({'condition': pd.Categorical([conds[i][0] for i in which]),
                        'dose_val': np.array([conds[i][1] for i in which]),
                        'cell_type': pd.Categorical(['A549'] * n_cells),
                        'split': pd.Categorical(np.where(rng.random(n_cells) < 0.1, 'test', 'train'))},
                       index=pd.Index([f'cell{i}' for i in range(n_cells)]))
    var = pd.DataFrame(index=[f'gene{j}' for j in range(n_genes)])
    base = np.clip(rng.lognormal(np.log(density) - 0.5, 1.0, n_genes), 0, 0.9)  # per-gene detection rate, mean ~density
    level = rng.gamma(2.0, 1.0, n_genes)  # per-gene expression level
    effect = np.ones((len(conds), n_genes))
    for k, (drug, dose) in enumerate(conds):
        if drug == 'Vehicle': continue
        genes = np.random.default_rng(DRUGS.index(drug)).choice(n_genes, 50, replace=False)
        effect[k, genes] = 1 + 3 * dose / (dose + 0.05) * np.random.default_rng(DRUGS.index(drug) + 10).choice([-0.25, 1.0], 50)
    tmp = path.with_name(path.name + '.partial')
    with h5py.File(tmp, 'w') as f:
        f.attrs['encoding-type'], f.attrs['encoding-version'] = 'anndata', '0.1.0'
        ad.io.write_elem(f, 'obs', obs); ad.io.write_elem(f, 'var', var)
        for key in ('uns', 'obsm', 'varm', 'obsp', 'varp', 'layers'): ad.io.write_elem(f, key, {})
        for start in range(0, n_cells, chunk):
            w = which[start:start + chunk]
            p = np.clip(base[None, :] * effect[w], 0, 0.95)
            mask = rng.random(p.shape, dtype=np.float32) < p
            rows, cols = np.nonzero(mask)
            vals = np.log1p(rng.poisson(level[cols] * effect[w[rows], cols]) + 1).astype(np.float32)
            block = sp.csr_matrix((vals, (rows, cols)), shape=p.shape)
            if start == 0: ad.io.write_elem(f, 'X', block)
            else: ad.io.sparse_dataset(f['X']).append(block)
    os.replace(tmp, path)


TRAIN = r'''
import json, resource, sys, time, torch
import anndata as ad
from cpa_nb.model import CPA
path, mode, n_cells, threads, keys = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
torch.set_num_threads(threads)
t0 = time.perf_counter()
adata = ad.read_h5ad(path, backed='r')
if mode == 'memory': adata = adata[:n_cells].to_memory()
model = CPA(adata, keys['perturbation_key'], keys['dose_key'], keys['covariate_keys'], keys['control'], keys['split_key'],
            stream=(mode == 'backed'))
setup = time.perf_counter() - t0
model.fit(max_epochs=1, patience=None, progress=False)
h = model.history[-1]
print(json.dumps({'mode': mode, 'n_cells': adata.n_obs, 'streamed': model.data.streamed, 'setup_s': setup, 'epoch_s': h['seconds'],
                  'cells_per_s': h['cells_per_second'], 'peak_rss_gb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
'''


def train(path, mode, n_cells, threads):
    res = subprocess.run([sys.executable, '-c', TRAIN, str(path), mode, str(n_cells), str(threads), json.dumps(KEYS)],
                         capture_output=True, text=True)
    if res.returncode: sys.exit(f"{mode} run failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n-cells', type=int, default=1_000_000)
    ap.add_argument('--n-genes', type=int, default=2000)
    ap.add_argument('--density', type=float, default=0.05)
    ap.add_argument('--in-memory-cells', type=int, default=100_000, help='cells of the in-memory reference run')
    ap.add_argument('--path', default=None, help='where the h5ad is written (default: ~/.cache/cpa_nb/scale_<n>x<g>.h5ad)')
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--json', help='write the results here')
    args = ap.parse_args()
    path = Path(args.path or Path.home() / '.cache' / 'cpa_nb' / f'scale_{args.n_cells}x{args.n_genes}.h5ad')
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        t0 = time.perf_counter()
        write_h5ad(path, args.n_cells, args.n_genes, args.density)
        print(f"wrote {path} ({path.stat().st_size / 2**30:.2f} GiB) in {time.perf_counter() - t0:.0f} s "
              f"(peak RSS of the writer {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB)")
    import h5py
    with h5py.File(path) as f: nnz, shape = int(f['X/data'].shape[0]), tuple(int(n) for n in f['X'].attrs['shape'])
    print(f"data: {shape[0]:,} cells x {shape[1]:,} genes, {nnz / shape[0] / shape[1]:.1%} non-zero; {args.threads} torch threads")
    backed = train(path, 'backed', shape[0], args.threads)
    memory = train(path, 'memory', min(args.in_memory_cells, shape[0]), args.threads)
    for r in (backed, memory):
        print(f"{r['mode']:>7}: {r['n_cells']:>9,} cells, set-up {r['setup_s']:6.1f} s, epoch {r['epoch_s']:7.1f} s, "
              f"{r['cells_per_s']:8,.0f} cells/s, peak RSS {r['peak_rss_gb']:.2f} GB")
    ratio = backed['cells_per_s'] / memory['cells_per_s']
    print(f"streamed / in-memory throughput: {ratio:.2f} (target >= 0.5); peak RSS {backed['peak_rss_gb']:.2f} GB (target <= 4)")
    if args.json:
        Path(args.json).write_text(json.dumps({'n_cells': shape[0], 'cells_per_s': backed['cells_per_s'], 'peak_rss_gb': backed['peak_rss_gb'],
                                               'in_memory_cells_per_s': memory['cells_per_s'], 'throughput_ratio': ratio,
                                               'setup': {'n_genes': shape[1], 'density': nnz / shape[0] / shape[1], 'threads': args.threads,
                                                         'in_memory_cells': memory['n_cells'], 'backed': backed, 'in_memory': memory}}, indent=1))


if __name__ == '__main__':
    main()
