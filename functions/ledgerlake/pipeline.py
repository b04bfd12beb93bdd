"""The headless pipeline behind `ledgerlake run` (and `make demo`).

simulate (once) → lake → reference data → webhooks through the receiver → polls from the
local provider API server → dbt build → forecast → reports. Every step is idempotent, so a
second run over the same simulation changes nothing and a crashed run completes next time.
Steps whose parts are not built yet are reported as skipped.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from .config import Settings, home
from .progress import step


@dataclass
class RunOptions:
    sim_dir: Path
    seed: int = 42
    months: int = 18
    scale: float = 1.0
    steps: list[str] | None = None  # None = all


@dataclass
class StepResult:
    name: str
    status: str  # "done" | "skipped"
    seconds: float
    detail: str = ""


@dataclass
class PipelineContext:
    options: RunOptions
    settings: Settings = field(default_factory=Settings.from_env)
    base_urls: dict[str, str] = field(default_factory=dict)
    stop_callbacks: list[Callable[[], None]] = field(default_factory=list)
    landed_at: str | None = None  # set when this run found the simulation already landed (that landing's time)


def default_sim_dir() -> Path:
    return home() / "simulation"


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# -- steps --------------------------------------------------------------------------------


def step_simulate(ctx: PipelineContext) -> str:
    from .simulate import generate

    out = ctx.options.sim_dir
    if (out / "manifest.json").exists():
        return f"reusing {out}"
    generate(out, seed=ctx.options.seed, months=ctx.options.months, scale=ctx.options.scale)
    return f"generated {out}"


def step_lake(ctx: PipelineContext) -> str:
    from .lake import Lake

    Lake(ctx.settings).ensure_buckets()
    return f"buckets {ctx.settings.raw_bucket}, {ctx.settings.marts_bucket}"


def step_reference(ctx: PipelineContext) -> str:
    """FX rates. A simulation publishes them as an ECB feed, which the land step polls like
    any source; an older simulation has only its rates file, uploaded as the hand override."""
    from .lake import Lake
    from .sourceapi.providers.ecb import SIM_FEED

    if ctx.options.sim_dir.joinpath(*SIM_FEED).exists():
        return "fx rates: polled from the simulation's ECB feed in the land step"
    rates = ctx.options.sim_dir / "reference" / "fx_rates.csv"
    if not rates.exists():
        return "no fx_rates.csv in the simulation"
    lake = Lake(ctx.settings)
    lake.s3.put_object(Bucket=lake.bucket, Key="reference/fx_rates/fx_rates.csv", Body=rates.read_bytes())
    return "fx rates copied to reference/fx_rates/"


def step_land(ctx: PipelineContext) -> str:
    """Connect every source (OAuth against the local server), then webhooks through the
    receiver (hydrating thin pings), then every poller, against a local provider API server
    over the simulation. Landing is idempotent, pollers resume from their cursors; a run
    that finds this simulation already landed completely (the marker
    `landing.mark_webhooks_landed` keeps in the lake) skips it outright."""
    from .lake import Lake
    from .landing import land_simulation, mark_webhooks_landed, webhooks_landed

    lake = Lake(ctx.settings)
    earlier = webhooks_landed(lake, ctx.options.sim_dir)
    if earlier:
        ctx.landed_at = earlier["landed_at"]
        # The simulation is a fixed history and its provider API's clock stops at its end:
        # once it has landed completely (every delivery, hydration and poll), nothing new
        # can come from it. Polling again would only re-take today's balance snapshot and
        # make the build think the lake changed.
        return (
            f"already landed: this simulation's {earlier['deliveries']} deliveries, "
            f"{earlier['hydrated']} hydrations and polls landed completely at {earlier['landed_at']}; "
            "nothing new (regenerate it, or land a newer one, to add data)"
        )
    # Every source connects through its provider's OAuth / token flow against the local
    # server, whose access tokens live two minutes: the run lives through their expiry.
    ttl = float(os.environ.get("LEDGERLAKE_DEMO_TOKEN_TTL", "120"))
    report = land_simulation(ctx.options.sim_dir, lake, connect=True, token_ttl=ttl, progress=True)
    if report.failures:
        raise RuntimeError("landing failed: " + "; ".join(report.failures[:5]))
    mark_webhooks_landed(lake, ctx.options.sim_dir, report)
    return report.summary()


def step_build(ctx: PipelineContext) -> str:
    from datetime import datetime

    from .transform import build

    # Nothing landed in this run, and the last successful build came after the landing:
    # the build would list 30k raw objects only to find them unchanged (its own check).
    state = _warehouse().with_name("build-state.json")
    if ctx.landed_at and state.exists() and _warehouse().exists():
        built = datetime.fromtimestamp(state.stat().st_mtime, UTC)
        if built > datetime.fromisoformat(ctx.landed_at):
            return f"nothing landed since the last build ({built:%Y-%m-%d %H:%M} UTC): kept"

    result = build(settings=ctx.settings)
    if not result.success:
        raise RuntimeError("dbt build failed: " + "; ".join(result.failures[:5]))
    return f"marts built in {result.seconds:.1f}s"


def _warehouse() -> Path:
    import os

    explicit = os.environ.get("LEDGERLAKE_WAREHOUSE")
    return Path(explicit).resolve() if explicit else home() / "warehouse.duckdb"


def _forecast_inputs_fingerprint() -> str | None:
    """The build the forecast would read (build-state.json's fingerprint) and the forecaster's
    and alert rules' code: unchanged, the forecast already in the warehouse is the answer."""
    import hashlib
    import json

    state = _warehouse().with_name("build-state.json")  # written beside the warehouse by the build
    if not state.exists():
        return None
    digest = hashlib.sha256(json.loads(state.read_text()).get("fingerprint", "").encode())
    package = Path(__file__).resolve().parent
    for path in sorted([*(package / "forecast").glob("*.py"), *(package / "alerts").glob("*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    from .forecast.scenarios import scenarios_path

    scenarios = scenarios_path(home())  # a saved what-if changes the published cash_scenarios
    if scenarios.exists():
        digest.update(scenarios.read_bytes())
    return digest.hexdigest()


def step_code(ctx: PipelineContext) -> str:
    """The categoriser on the fresh marts; when its suggestions changed, rebuild what reads them."""
    from .categorise.run import run_categoriser
    from .transform import build

    run = run_categoriser(settings=ctx.settings)
    if not run.created:
        return "suggestions unchanged: nothing landed"
    result = build(settings=ctx.settings, select=["stg_ledgerlake__coding_suggestions+"], stream=None)
    if not result.success:
        raise RuntimeError("dbt build of the coding marts failed: " + "; ".join(result.failures[:5]))
    return ", ".join(f"{v} {k}" for k, v in sorted(run.counts().items()))


def step_forecast(ctx: PipelineContext) -> str:
    from .forecast import run_forecast

    marker = _warehouse().with_name("forecast-state.json")
    fingerprint = _forecast_inputs_fingerprint()
    if fingerprint and marker.exists() and marker.read_text() == fingerprint and _warehouse().exists():
        return "nothing changed since the last forecast (same build, same forecaster): kept"
    marker.unlink(missing_ok=True)
    result = run_forecast(settings=ctx.settings)
    if fingerprint:
        marker.write_text(fingerprint)
    return f"{len(result.alerts)} alerts, {result.cash_forecast_daily.height} forecast rows in {result.seconds:.1f}s"


def step_report(ctx: PipelineContext) -> str:
    from .report import weekly_email, write_local

    out = home() / "reports"
    paths = write_local(weekly_email(), out)
    return f"weekly email written to {paths['html']}"


STEPS: list[tuple[str, str, Callable[[PipelineContext], str]]] = [
    # (name, module that must exist for the step to run, function)
    ("simulate", "ledgerlake.simulate", step_simulate),
    ("lake", "ledgerlake.lake", step_lake),
    ("reference", "ledgerlake.lake", step_reference),
    ("land", "ledgerlake.landing", step_land),
    ("build", "ledgerlake.transform", step_build),
    ("code", "sklearn", step_code),
    ("forecast", "ledgerlake.forecast", step_forecast),
    ("report", "ledgerlake.report", step_report),
]


def run(options: RunOptions) -> list[StepResult]:
    ctx = PipelineContext(options=options)
    results: list[StepResult] = []
    try:
        for name, module, fn in STEPS:
            if options.steps and name not in options.steps:
                continue
            started = time.monotonic()
            if not _available(module):
                results.append(StepResult(name, "skipped", 0.0, f"{module} not built yet"))
                step(f"{name}: skipped ({module} not built yet)")
                continue
            step(f"{name} …")
            detail = fn(ctx) or ""
            results.append(StepResult(name, "done", time.monotonic() - started, detail))
            step(f"{name}: {detail} ({time.monotonic() - started:.1f}s)")
    finally:
        for stop in reversed(ctx.stop_callbacks):
            stop()
    return results
