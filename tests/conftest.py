import os, pathlib, warnings
import pytest

os.environ.setdefault('MPLBACKEND', 'Agg')
SHARED_DATA = pathlib.Path(__file__).resolve().parents[1].parent / 'shared' / 'data'


@pytest.fixture
def shared_file():
    "Path of a file in ../shared/data, or a skip with a clear message where that folder is absent"
    def get(name):
        path = SHARED_DATA / name
        if not path.exists(): pytest.skip(f'{path} is absent: the shared real-data folder is not beside this checkout')
        return path
    return get


@pytest.fixture
def read_h5ad():
    import anndata as ad
    def read(path):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # old-layout files warn on read
            return ad.read_h5ad(path)
    return read
