"""Shared fixtures: an S3 server, the lake on it, and one simulated company per session.

Tests talk to a running S3 server over HTTP (moto's threaded server; the SeaweedFS server
that `make demo` uses is exercised in tests/test_lakeserver.py).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

try:  # pytest 9's structured node ids (see pytest_collection_modifyitems)
    from _pytest.nodeid import coerce_node_id
except ImportError:  # pragma: no cover - another pytest: xdist's own suffix applies
    coerce_node_id = None

REPO = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
ARTIFACTS = REPO / "tests" / "artifacts"

# Isolate every test run from the developer's own settings and local.env.
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing-secret")
os.environ["AWS_REGION"] = "us-east-1"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
for name, value in {
    "STRIPE_WEBHOOK_SECRET": "whsec_test_stripe_secret",
    "SHOPIFY_WEBHOOK_SECRET": "shpss_test_shopify_secret",
    "HUBSPOT_CLIENT_SECRET": "test-hubspot-client-secret",
    "QBO_WEBHOOK_VERIFIER_TOKEN": "test-qbo-verifier-token",
    "XERO_WEBHOOK_KEY": "test-xero-webhook-key",
}.items():
    os.environ[name] = value


def pytest_collection_modifyitems(config, items):
    """`make test` runs the suite on two pytest-xdist workers (`-n 2 --dist loadgroup`).
    Each worker sets up the session fixtures it needs once, so tests are handed out in
    groups that share their expensive fixtures: every test that reads the simulated company
    (`built_company`, directly or through another fixture) in one group; a test using a
    session fixture of a test area's conftest with the rest of that area; any other test
    with its module (its module fixtures stay on one worker). Without xdist the marks do
    nothing."""
    for item in items:
        if "built_company" in item.fixturenames:
            group = "company"
        else:
            group = str(item.path.relative_to(REPO))
            for defs in item._fixtureinfo.name2fixturedefs.values():
                fixture = defs[-1]
                if fixture.scope == "session" and fixture.baseid.count("/") >= 1:
                    group = fixture.baseid  # e.g. "tests/polling": the area's conftest
                    break
        item.add_marker(pytest.mark.xdist_group(group))
        if coerce_node_id and config.getoption("loadgroup", default=False):  # an xdist worker, --dist loadgroup
            # xdist 3.8 hands a test's group to the scheduler as a "@group" suffix on its node
            # id, which it writes to `item._nodeid`; pytest 9 reads the id from `item._id`, so
            # the suffix never reached the scheduler and every group was ignored (each worker
            # built the company). Write it where pytest 9 reads it.
            item._id = coerce_node_id(f"{item.nodeid}@{group}")


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on a free port, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["LEDGERLAKE_S3_ENDPOINT"] = endpoint
    yield endpoint
    server.stop()


@pytest.fixture
def lake(s3_endpoint, monkeypatch, tmp_path):
    """A Lake on fresh, uniquely named buckets (tests never see each other's objects)."""
    from ledgerlake.lake import Lake

    suffix = uuid.uuid4().hex[:8]
    monkeypatch.setenv("LEDGERLAKE_S3_ENDPOINT", s3_endpoint)
    monkeypatch.setenv("LEDGERLAKE_RAW_BUCKET", f"raw-{suffix}")
    monkeypatch.setenv("LEDGERLAKE_MARTS_BUCKET", f"marts-{suffix}")
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path / "home"))
    lake = Lake()
    lake.ensure_buckets()
    return lake


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory) -> Path:
    """The simulated company at scale 1 (seed 7, 18 months), generated once per session."""
    from ledgerlake.simulate import generate

    out = tmp_path_factory.mktemp("sim") / "company"
    generate(out, seed=7, months=18, scale=1.0)
    return out


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# -- the simulated company, landed, built and forecast once per session ------------------
#
# Shared by every area that reads the real marts (transforms, dashboard, weekly email,
# analyst SQL): one land + build + forecast per pytest session. By default the company is
# Northwind over 18 months at a tenth of the volume (seed 7: ~4,100 webhooks, every kind of
# planted problem), so the suite stays within its budget; LEDGERLAKE_E2E_FULL=1 uses `sim_dir` instead
# (scale 1, 18 months; landing alone takes minutes on 2 cores, see docs/benchmarks.md).


class company_env:  # noqa: N801 - used like a function: `with company_env(env):`
    """The built company's environment (buckets, S3 endpoint, home) for a block, restored
    afterwards: the session's other fixtures read the same variables."""

    def __init__(self, values: dict[str, str]):
        self.values, self.saved = values, {}

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.values}
        os.environ.update(self.values)
        return self

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def company_s3():
    """A moto S3 server in its own process for the company's lake: tens of thousands of
    landings and GETs run faster when the server does not share the tests' GIL."""
    from ledgerlake.bench.transforms import _free_port, _moto

    port = _free_port()
    proc = _moto(port)
    yield f"http://127.0.0.1:{port}"
    proc.kill()
    proc.wait()


@pytest.fixture(scope="session")
def company_dir(request, tmp_path_factory):
    if os.environ.get("LEDGERLAKE_E2E_FULL"):
        return request.getfixturevalue("sim_dir")
    from ledgerlake.simulate import generate

    out = tmp_path_factory.mktemp("company") / "northwind"
    generate(out, seed=7, months=18, scale=0.1)
    return out


@pytest.fixture(scope="session")
def built_company(company_s3, company_dir, tmp_path_factory):
    """The simulated company landed through the real receiver, hydrator and pollers, built
    (`ledgerlake.transform.build`) and forecast (`ledgerlake.forecast.run_forecast`: schema
    `forecast` in the warehouse, alert state in the marts bucket). Once per session.

    {'env': the variables naming its lake and home, 'use_env': a context manager setting
     them for a block (to land or build more into the same lake),
     'lake', 'sim_dir', 'landing': LandingReport, 'build': BuildResult, 'forecast':
     ForecastResult, 'build_warehouse': the file the build wrote (tests/transforms builds
     it again), 'warehouse': a copy taken after the forecast that nothing rebuilds — read
     it read-only, or copy it before writing — and 'timings'}.
    """
    import shutil

    from ledgerlake.forecast import run_forecast
    from ledgerlake.lake import Lake
    from ledgerlake.landing import land_simulation
    from ledgerlake.transform import build

    suffix = uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("company-home")
    env = {
        "LEDGERLAKE_RAW_BUCKET": f"raw-{suffix}",
        "LEDGERLAKE_MARTS_BUCKET": f"marts-{suffix}",
        "LEDGERLAKE_HOME": str(home),
        "LEDGERLAKE_S3_ENDPOINT": company_s3,
    }
    timings = {}
    with company_env(env):
        lake = Lake()
        lake.ensure_buckets()
        t0 = time.monotonic()
        landing = land_simulation(company_dir, lake, workers=8)
        timings["landing"] = time.monotonic() - t0
        assert not landing.failures, landing.failures
        first = build(stream=None)
        timings["first_build"] = first.seconds
        assert first.success, first.failures
        t0 = time.monotonic()
        forecast = run_forecast(first.warehouse)
        timings["forecast"] = time.monotonic() - t0
    frozen = tmp_path_factory.mktemp("company-warehouse") / "warehouse.duckdb"
    shutil.copyfile(first.warehouse, frozen)
    frozen.chmod(0o444)  # read-only on purpose: a consumer that writes takes its own copy
    return {
        "env": env,
        "use_env": lambda: company_env(env),
        "lake": lake,
        "sim_dir": company_dir,
        "landing": landing,
        "build": first,
        "forecast": forecast,
        "build_warehouse": first.warehouse,
        "warehouse": frozen,
        "timings": timings,
    }
