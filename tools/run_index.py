"""Execute nbs/index.ipynb in place so its outputs (shown in README.md) are real results; then run tools/make_readme.py."""
import os, pathlib
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

os.environ.setdefault('MPLBACKEND', 'Agg')
path = pathlib.Path(__file__).resolve().parent.parent / 'nbs' / 'index.ipynb'
nb = read_nb(path)
CaptureShell(path.parent).run_all(nb, exc_stop=True)
write_nb(nb, path)
print('executed', path)
