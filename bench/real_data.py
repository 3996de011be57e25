"""CPA against the baselines on the real datasets in ../shared/data, over several held-out choices and seeds.

Kang 2018 (IFN-beta PBMCs): hold out the stimulated cells of one cell type, predict them from that cell type's
controls. Norman 2019 / McFaline-Figueroa 2023: hold out the double activations whose singles were seen, and one
kinase's knockdown in one glioblastoma line. Prints one row per held-out condition, each run's uncertainty-error
Spearman (the distance, and the weight snapshots' or the ensemble members' disagreement and spread), and a summary, and writes --json with all rows.

With --composition, each held-out double is also predicted as CPA's two singles composed in expression space
(control + (CPA(a) - CPA(control)) + (CPA(b) - CPA(control)), from the same source cells): it separates what CPA's
composition in the latent costs from what its singles cost.

Usage: .venv/bin/python bench/real_data.py [--seeds 0 1] [--epochs 200] [--threads 2] [--only kang|norman] [--types CD4T NK]
                                          [--hparams '{"reg_adv": 1}'] [--composition] [--json out.json]
"""
import argparse, json, sys, tempfile, time, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch

DATA = Path(__file__).resolve().parents[1].parent / 'shared' / 'data'
KANG_TYPES = ['B', 'CD14+Mono', 'CD4T', 'CD8T', 'Dendritic', 'FCGR3A+Mono', 'NK']
NORMAN_DOUBLES = ['KLF1+MAP2K6', 'KLF1+TGFBR2', 'MAP2K3+MAP2K6', 'MAP2K3+SLC38A2', 'MAPK1+TGFBR2']
KINASE_HOLDOUTS = [('SGK1', 'A172'), ('MAPK1', 'T98G'), ('MAP2K3', 'U87MG')]


def composed_singles(model_dir, path, keys, ood, seed, doubles):
    "R2-delta (top-50 DEGs) of each held-out double predicted as CPA's singles composed in expression space, with the evaluation's source cells, control mean and DEGs"
    import anndata as ad
    from cpa_nb.experiment import mark_ood
    from cpa_nb.metrics import delta_scores
    from cpa_nb.model import CPA
    import cpa_nb.predict  # noqa: F401
    model, adata = CPA.load(model_dir), ad.read_h5ad(path)
    split = np.asarray(mark_ood(adata.obs, ood, seed=seed))
    obs, (cov,) = adata.obs, keys['covariate_keys']
    genes = {g: i for i, g in enumerate(adata.var_names)}
    out = {}
    mean = lambda mask: np.asarray(adata[np.asarray(mask)].X.mean(0)).ravel()
    for name, pert in doubles:
        held = (obs[keys['perturbation_key']] == pert) & (split == 'ood')
        (ct,) = obs[cov][held].unique()  # one double in one cell type
        is_ctrl = (obs[keys['perturbation_key']] == keys['control']) & (obs[cov] == ct)
        src = adata[np.asarray(is_ctrl & (split == 'test'))]
        (dose,) = obs[keys['dose_key']][held].astype(str).unique()
        pred = lambda p, d: np.asarray(model.predict(src, p, d, covariates={cov: ct}, variance=False).X).mean(0)
        (a, b), (da, db) = pert.split('+'), dose.split('+')
        base = pred(keys['control'], da)  # a control's dose is ignored
        real, ctrl = mean(held), mean(is_ctrl)
        degs = [genes[g] for g in model.degs[name]] if name in model.degs else np.argsort(-np.abs(real - ctrl))[:50]
        out[name] = delta_scores(real, ctrl + pred(a, da) + pred(b, db) - 2 * base, ctrl, degs)['r2_delta']
    return out


def run(name, path, keys, ood, seed, epochs, hp, composition=False):
    from cpa_nb.experiment import run_evaluate
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        rep = run_evaluate(str(path), out, ood=ood, epochs=epochs, seed=seed, progress=False, **keys, **hp)
        secs = time.perf_counter() - t0
        doubles = [(c['condition'], c['drug']) for c in rep['conditions'] if c['split'] == 'ood' and '+' in c['drug']]
        composed = composed_singles(f'{out}/model', path, keys, ood, seed, doubles) if composition and doubles else {}
    kind, members = next(((k, rep[k]) for k in ('ensemble', 'snapshots') if rep.get(k)), (None, None))
    label = {'ensemble': "ensemble members'", 'snapshots': "weight snapshots'"}.get(kind)
    print(f"{name:7s} seed {seed} uncertainty-error Spearman over the test and held-out conditions (error against the cells): distance "
          f"{rep['uncertainty_error_spearman']:.3f}" + ('' if members is None else f", {label} disagreement "
          f"{members['disagreement_error_spearman']:.3f}, spread {members['uncertainty_error_spearman']:.3f}"), flush=True)
    rows = []
    for c in rep['conditions']:
        if c['split'] != 'ood': continue
        row = {'dataset': name, 'seed': seed, 'condition': c['condition'], 'n_cells': c['n_cells'], 'epochs': rep['train']['epochs'],
               'seconds': round(secs, 1), 'cpa_r2_delta_deg': c['cpa']['r2_delta_deg'], 'cpa_r2_mean_deg': c['cpa']['r2_mean_deg']}
        for b, s in c['baselines'].items():
            if s is not None: row[f'{b}_r2_delta_deg'], row[f'{b}_r2_mean_deg'] = s['r2_delta_deg'], s['r2_mean_deg']
        if c['condition'] in composed: row['composed_singles_r2_delta_deg'] = composed[c['condition']]
        rows.append(row)
        print(f"{name:7s} seed {seed} {c['condition']:28s} R2-delta(DEGs) CPA {row['cpa_r2_delta_deg']:7.3f}  additive "
              f"{row.get('additive_r2_delta_deg', float('nan')):7.3f}  control {row['control_r2_delta_deg']:7.3f}"
              + (f"  CPA's singles composed {composed[c['condition']]:7.3f}" if c['condition'] in composed else ''), flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1]); ap.add_argument('--epochs', type=int, default=200)
    ap.add_argument('--threads', type=int, default=2); ap.add_argument('--only', choices=['kang', 'norman'])
    ap.add_argument('--hparams', default='{}', help='CPAParams overrides as JSON'); ap.add_argument('--json')
    ap.add_argument('--types', nargs='+', choices=KANG_TYPES, default=KANG_TYPES, help='Kang cell types to hold out (default: all)')
    ap.add_argument('--composition', action='store_true', help="also score the held-out doubles as CPA's singles composed in expression space")
    args = ap.parse_args()
    torch.set_num_threads(args.threads); warnings.simplefilter('ignore')
    if not DATA.exists(): sys.exit(f'{DATA} is absent: this benchmark needs the shared real-data folder beside the checkout')
    hp, rows = json.loads(args.hparams), []
    if args.composition and hp.get('ensemble', 1) > 1: sys.exit("--composition scores one model's singles; drop it, or the ensemble from --hparams")
    for seed in args.seeds:
        if args.only in (None, 'kang'):
            kang = dict(perturbation_key='condition', dose_key=None, covariate_keys=['cell_type'], control='control')
            for ct in args.types:
                rows += run('kang', DATA / 'kang2018_ifnb_pbmc.h5ad', kang, f"cell_type == '{ct}' and condition == 'stimulated'", seed, args.epochs, hp)
        if args.only in (None, 'norman'):
            norman = dict(perturbation_key='condition', dose_key='dose', covariate_keys=['cell_type'], control='control')
            query = f"condition in {NORMAN_DOUBLES} or " + ' or '.join(f"(condition == '{k}' and cell_type == '{c}')" for k, c in KINASE_HOLDOUTS)
            rows += run('norman', DATA / 'norman2019_mcfaline2023_subset.h5ad', norman, query, seed, args.epochs, hp, args.composition)
    df = pd.DataFrame(rows)
    print('\nMean R2 of the change from control on the top-50 DEGs, per dataset (over held-out conditions and seeds):')
    cols = [c for c in df.columns if c.endswith('_r2_delta_deg')]
    print(df.groupby('dataset')[cols].mean().round(3).to_string())
    df['kind'] = np.where(df.dataset == 'kang', 'cell type', np.where(df.condition.str.contains(r'\+'), 'double', 'kinase'))
    df['cpa_beats_additive'] = df.cpa_r2_delta_deg >= df.additive_r2_delta_deg
    print('\nCPA >= additive baseline (R2-delta, DEGs):')
    print(df.groupby(['dataset', 'kind']).cpa_beats_additive.agg(['sum', 'count']).to_string())
    if args.json: Path(args.json).write_text(json.dumps({'hparams': hp, 'epochs': args.epochs, 'rows': rows}, indent=1))


if __name__ == '__main__':
    main()
