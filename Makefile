# The two commands a newcomer runs (see README.md): `make sciplex2` and `make test`.
# Each creates .venv on first use (torch's CPU wheel first, then the package) and is a no-op install afterwards.
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MPLBACKEND := Agg

.PHONY: install test test-slow sciplex2 readme

$(STAMP): settings.ini setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Main job: the sci-Plex2 analysis on the built-in simulated data (pass ARGS="--adata file.h5ad" for real data).
sciplex2: $(STAMP)
	$(VENV)/bin/cpa_nb sciplex2 --out runs/sciplex2 $(ARGS)

# All tests: every notebook (fast cells) and tests/. Notebooks run one at a time: parallel nbdev_test
# workers each spin torch's OpenMP threads and, on two cores, slow each other down more than tenfold.
test: $(STAMP)
	timeout -k 30 3000 $(VENV)/bin/nbdev_test --n_workers 1 --timing
	$(PY) -m pytest -q tests

# Long cells too (#| slow).
test-slow: $(STAMP)
	timeout -k 30 5000 $(VENV)/bin/nbdev_test --n_workers 1 --timing --flags slow

# README.md is generated from nbs/index.ipynb.
readme: $(STAMP)
	$(PY) tools/make_readme.py
