"The simulator at the sizes the docs promise, and its ground truth."
import numpy as np

from cpa_nb.simulate import simulate_sciplex2, expected_expression


def test_5000_genes():
    sim = simulate_sciplex2(n_cells=1500, n_genes=5000, n_truth_cells=100)
    assert sim.n_vars == 5000 and sim.uns['truth']['mean'].shape == (29, 5000)


def test_truth_matches_data_means():
    sim = simulate_sciplex2(n_cells=6000, n_genes=300, n_truth_cells=1000)
    names = list(sim.uns['truth']['conditions'])
    veh = sim[sim.obs.condition == 'Vehicle'].X.toarray().mean(0)
    truth = sim.uns['truth']['mean'][names.index('A549_Vehicle_1.0')]
    assert np.corrcoef(veh, truth)[0, 1] > 0.99
    mean, _ = expected_expression(sim, 'Vehicle', 1.0)
    diff = np.abs(mean - truth)  # two Monte-Carlo estimates of the same expectation (1,000 and 2,000 cells)
    assert diff.mean() < 0.03 and diff.max() < 0.2
