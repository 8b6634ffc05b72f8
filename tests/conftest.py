import os

import numpy as np
import pytest

from spikefp.hdl.workdirs import cache_dir

# Under pytest-xdist every worker builds simulators and native kernels in a cache folder of
# its own: two workers compiling the same unit into one folder would corrupt each other.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["SPIKEFP_CACHE"] = str(cache_dir(f"xdist-{os.environ['PYTEST_XDIST_WORKER']}"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
