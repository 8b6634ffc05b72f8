import os

import numpy as np
import pytest

from spikefp.hdl.workdirs import cache_dir

# Under pytest-xdist every worker builds simulators and native kernels in a cache folder of
# its own: two workers compiling the same unit into one folder would corrupt each other.
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Reference tables are written atomically, so the workers share them (built once, not per worker).
    os.environ.setdefault("SPIKEFP_TABLE_CACHE", str(cache_dir("elementary")))
    os.environ["SPIKEFP_CACHE"] = str(cache_dir(f"xdist-{os.environ['PYTEST_XDIST_WORKER']}"))
    # One thread per worker for torch: the workers already fill the cores, and torch's own
    # pool, oversubscribed, stalls every small operation (measured: ~8 ms each on 2 cores).
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
