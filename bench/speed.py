"""Training speed of cpa_nb against the published CPA (cpa-tools 0.8.8), side by side on the same data.

Both are trained on the same simulated sci-Plex2 .h5ad at equal architecture (latent size, encoder/decoder width
and depth, batch size), epochs and thread count, in separate processes, interleaved over --rounds. Each reports
the median seconds of a training epoch after the first (validation excluded) -> cells/s = training cells / that.
The machine's fp32 matrix-multiply rate is measured at the same thread count, on the shapes the training runs, in the
worker process right before and right after its training (the clock of a shared machine drifts by up to ~20% within
seconds); each round's FLOP rate is compared with the mean of its two bounds, and the median round is reported.

How FLOPs are counted: a Linear layer costs 2*in*out FLOPs per cell forward and 4*in*out backward (input and
weight gradients), so 6*in*out when it is trained. cpa_nb's autoencoder step trains encoder, decoder (mean and
variance heads) and runs the adversaries forward and backward to the latent (6*in*out for all of them); an
adversary step runs the encoder forward only (2*in*out) and trains the adversaries (6*in*out; the gradient
penalty's double backward through the small adversaries is not counted). A covariate with one value (the data's single cell
line) has no adversary at work, so none is counted for it. With 1 autoencoder step in every
`adversary_steps`, FLOPs per cell = (AE + (adversary_steps - 1) * ADV) / adversary_steps. BatchNorm, ReLU,
embeddings and the optimiser are not counted (they are overhead the bound leaves out).

The peer is installed by ../shared/peer/setup_cpa_tools.sh into its own venv (default ~/.cache/cpa_nb/peer-venv);
without it only cpa_nb is timed.

Usage: .venv/bin/python bench/speed.py [--n-cells 10000] [--epochs 4] [--threads 1] [--rounds 2] [--json out.json]
       .venv/bin/python bench/speed.py --original   # the original CPA's settings: 128x3, latent 128, batch 256
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT.parent / 'shared' / 'peer' / 'run_cpa_tools.py'
PEER_PY = Path.home() / '.cache' / 'cpa_nb' / 'peer-venv' / 'bin' / 'python'


def ours(args, path):
    "Train cpa_nb in this process; median training-epoch seconds after the first"
    import torch, warnings
    torch.set_num_threads(args.threads)
    warnings.simplefilter('ignore')
    import anndata as ad
    from cpa_nb.model import CPA
    adata = ad.read_h5ad(path)
    bound_before = gemm_rate(args, adata.n_vars)  # the clock of this shared machine drifts by up to ~20% within seconds: the bound is measured next to the training it is compared with
    m = CPA(adata, 'condition', 'dose_val', ['cell_type'], 'Vehicle', 'split', latent_dim=args.latent, hidden_dim=args.hidden,
            n_layers=args.layers, batch_size=args.batch_size, device=args.device,
            min_epoch_cells=0,  # an epoch is one pass over the training cells, as in cpa-tools
            skip=False,  # cpa-tools has no linear latent-to-mean path (the default's adds latent x genes, ~6% more FLOPs per cell at 256 x 3)
            pseudobulk=args.pseudobulk,  # cpa-tools has no pseudobulk loss: 0 (the default here) compares equal work
            swap_pseudobulk=args.swap_pseudobulk,  # nor the swapped one (on, it decodes each minibatch twice)
            ema_epochs=args.ema_epochs)  # weight averaging is on, as by default: its cost (one lerp per autoencoder step) counts against cpa_nb
    m.fit(max_epochs=args.epochs, patience=None, eval_every=args.epochs, progress=False, compile=args.compile, autocast=args.autocast)
    secs = [r['seconds'] for r in m.history[1:]] or [m.history[0]['seconds']]
    bound_after = gemm_rate(args, adata.n_vars)
    n_train = int(m.data.splits['train'].sum())
    import cpa_nb.predict  # noqa: F401
    m.predict(adata[:1000], 'Nutlin', 0.5, autocast=args.autocast)  # warm-up
    t0 = time.perf_counter(); m.predict(adata, 'Nutlin', 0.5, autocast=args.autocast); predict_s = time.perf_counter() - t0
    t0 = time.perf_counter(); m.predict(adata, 'Nutlin', 0.5, variance=False, autocast=args.autocast); means_s = time.perf_counter() - t0
    return {'cells_per_s': n_train / float(np.median(secs)), 's_per_epoch': float(np.median(secs)), 'n_train': n_train,
            'adversary_steps': m.params.adversary_steps, 'gemm_flops_per_s': [bound_before, bound_after], 'predict_cells_per_s': adata.n_obs / predict_s,
            'predict_means_cells_per_s': adata.n_obs / means_s}


def peer(args, path, out):
    cmd = [str(args.peer_python), str(PEER), '--adata', str(path), '--perturbation-key', 'condition', '--control', 'Vehicle',
           '--dose-key', 'dose_val', '--covariate-keys', 'cell_type', '--split-key', 'split', '--epochs', str(args.epochs),
           '--batch-size', str(args.batch_size), '--n-latent', str(args.latent), '--n-hidden', str(args.hidden),
           '--n-layers', str(args.layers), '--threads', str(args.threads), '--check-val-every', str(args.epochs), '--json', str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0: raise RuntimeError(f'cpa-tools failed:\n{r.stderr[-2000:]}')
    rep = json.loads(Path(out).read_text())
    return {'cells_per_s': rep['cells_per_s'], 's_per_epoch': rep['s_per_epoch'], 'n_train': rep['n_train_cells']}


def gemm_rate(args, n_genes):
    "Best matmul FLOP/s at this thread count over the training's shapes, in the products' precision (fp32; bf16 under --autocast)"
    import torch
    torch.set_num_threads(args.threads)
    b, h, l = args.batch_size, args.hidden, args.latent
    best = 0.
    for m, k, n in [(b, n_genes, h), (b, h, h), (b, h, n_genes), (b, h, l), (1024, 1024, 1024)]:
        dtype = torch.bfloat16 if args.autocast else torch.float32
        x, w = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
        for _ in range(3): x @ w
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.5: x @ w; reps += 1
        best = max(best, 2 * m * k * n * reps / (time.perf_counter() - t0))
    return best


def flops_per_cell(args, n_genes, n_drugs=4, n_cov=1, adv_hidden=64, adv_layers=2, adversary_steps=3):
    mac = lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    enc = mac([n_genes] + [args.hidden] * args.layers + [args.latent])
    dec = mac([args.latent] + [args.hidden] * args.layers) + 2 * args.hidden * n_genes
    adv = mac([args.latent] + [adv_hidden] * adv_layers + [n_drugs]) + (mac([args.latent] + [adv_hidden] * adv_layers + [n_cov]) if n_cov > 1 else 0)
    ae, adv_step = 6 * (enc + dec + adv), 2 * enc + 6 * adv
    return (ae + (adversary_steps - 1) * adv_step) / adversary_steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n-cells', type=int, default=10000); ap.add_argument('--n-genes', type=int, default=2000)
    ap.add_argument('--epochs', type=int, default=4); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--rounds', type=int, default=2); ap.add_argument('--batch-size', type=int, default=128)
    ap.add_argument('--latent', type=int, default=64); ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--layers', type=int, default=3)
    ap.add_argument('--pseudobulk', type=float, default=0., help="cpa_nb's pseudobulk weight (its default is on; 0 here: cpa-tools has no such loss)")
    ap.add_argument('--swap-pseudobulk', type=float, default=0., help="cpa_nb's swapped pseudobulk weight (its default is on; 0 here: cpa-tools has no such loss)")
    ap.add_argument('--ema-epochs', type=float, default=2., help="cpa_nb's weight-averaging horizon (its default, 2; 0: off)")
    ap.add_argument('--original', action='store_true', help="the original CPA's settings: latent 128, 128x3, batch 256")
    ap.add_argument('--device', default='cpu'); ap.add_argument('--compile', action='store_true')
    ap.add_argument('--autocast', action='store_true', help='bf16 autocast of training and prediction (GPUs; CPUs with bf16 instructions); the bound is then the bf16 matmul rate')
    ap.add_argument('--peer-python', type=Path, default=PEER_PY); ap.add_argument('--no-peer', action='store_true')
    ap.add_argument('--json'); ap.add_argument('--worker', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.original: args.latent, args.hidden, args.layers, args.batch_size = 128, 128, 3, 256
    if args.worker: print(json.dumps(ours(args, args.worker))); return
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    from cpa_nb.simulate import simulate_sciplex2
    use_peer = not args.no_peer and args.peer_python.exists() and PEER.exists()
    if not use_peer: print('(peer not timed: --no-peer)' if args.no_peer else f'(peer not timed: no {args.peer_python} or {PEER}; see ../shared/peer/README.md)')
    me = [sys.executable, __file__, *[a for a in sys.argv[1:] if a != '--json' and not a.endswith('.json')]]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'sim.h5ad'
        sim = simulate_sciplex2(n_cells=args.n_cells, n_genes=args.n_genes, n_truth_cells=20)
        sim.uns = {}  # the peer's anndata 0.9 cannot read some uns entries that newer anndata writes
        sim.write_h5ad(path)
        mine, theirs = [], []
        for r in range(args.rounds):  # interleaved, so both see the same machine load
            if use_peer: theirs.append(peer(args, path, Path(tmp) / f'peer{r}.json')); print(f"round {r}: cpa-tools {theirs[-1]['cells_per_s']:,.0f} cells/s", flush=True)
            out = subprocess.run(me + ['--worker', str(path)], capture_output=True, text=True)
            if out.returncode != 0: raise RuntimeError(out.stderr[-2000:])
            mine.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {r}: cpa_nb    {mine[-1]['cells_per_s']:,.0f} cells/s; matmul bound before / after it "
                  + ' / '.join(f'{g / 1e9:.1f}' for g in mine[-1]['gemm_flops_per_s']) + ' GFLOP/s', flush=True)
    ours_cps = float(np.median([m['cells_per_s'] for m in mine]))
    peer_cps = float(np.median([t['cells_per_s'] for t in theirs])) if theirs else None
    fpc = flops_per_cell(args, args.n_genes, adversary_steps=mine[0]['adversary_steps'])
    bounds = [float(np.mean(m['gemm_flops_per_s'])) for m in mine]  # each round against the bound measured around it
    fractions = [m['cells_per_s'] * fpc / g for m, g in zip(mine, bounds)]
    gemm = float(np.median(bounds))
    predict_cps = float(np.median([m['predict_cells_per_s'] for m in mine]))
    means_cps = float(np.median([m['predict_means_cells_per_s'] for m in mine]))
    res = {'cpa_nb_cells_per_s': ours_cps, 'peer_cells_per_s': peer_cps, 'ratio': ours_cps / peer_cps if peer_cps else None,
           'gemm_fraction': float(np.median(fractions)), 'predict_cells_per_s': predict_cps,
           'predict_means_cells_per_s': means_cps,  # predict(..., variance=False): means only
           'setup': {'n_cells': args.n_cells, 'n_train_cells': mine[0]['n_train'], 'n_genes': args.n_genes, 'epochs': args.epochs,
                     'threads': args.threads, 'batch_size': args.batch_size, 'latent': args.latent, 'hidden': args.hidden,
                     'layers': args.layers, 'pseudobulk': args.pseudobulk, 'swap_pseudobulk': args.swap_pseudobulk, 'ema_epochs': args.ema_epochs, 'device': args.device, 'compile': args.compile, 'autocast': args.autocast,
                     'rounds': args.rounds, 'gemm_flops_per_s': gemm, 'all_gemm_flops_per_s': [m['gemm_flops_per_s'] for m in mine], 'all_gemm_fractions': fractions, 'gemm_dtype': 'bfloat16' if args.autocast else 'float32', 'flops_per_cell': fpc,
                     'cpa_nb_adversary_steps': mine[0]['adversary_steps'], 'peer_adv_steps': 'every batch (cpa-tools adv_steps=None)',
                     'all_cpa_nb': [m['cells_per_s'] for m in mine], 'all_peer': [t['cells_per_s'] for t in theirs]}}
    print(f"cpa_nb {ours_cps:,.0f} cells/s" + (f", cpa-tools {peer_cps:,.0f} cells/s, ratio {res['ratio']:.2f}x" if peer_cps else '')
          + f"; {fpc / 1e6:.2f} MFLOP/cell against the {'bf16' if args.autocast else 'fp32'} matmul bound measured around each round (median {gemm / 1e9:.1f} GFLOP/s)"
          + f" -> cpa_nb at {res['gemm_fraction']:.0%} of it (rounds: {', '.join(f'{f:.0%}' for f in fractions)})"
          + f"; prediction {predict_cps:,.0f} cells/s ({means_cps:,.0f} means only)")
    if args.json: Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
