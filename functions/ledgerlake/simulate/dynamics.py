"""What makes the simulated company's future harder to forecast than its past (#17).

A forecaster that only extrapolates would do well on a company whose habits never change;
real ones change. These rules bend the simulation the way a real company bends, each one
deterministic per seed and drawn from its own random stream (`world`), so the existing
streams (CRM, AR, payroll ...) draw exactly what they drew before:

* **Hiring waves** — the headcount follows the same growth path on average, but hires
  arrive in cohorts every 3–6 months (a new team, a funding round), so payroll is flat for
  months and then steps up, rather than creeping up every month.
* **Seasonal pay** — an annual pay rise (US in January, UK in April) and a bonus paid with
  one run a year (US: the second December run; UK: the March run). A forecaster that repeats
  the last three runs misses both.
* **Late payers drifting** — one customer in four pays a little later every month of the
  run (their habit drifts: cash trouble, a new AP process), so last year's paying curve is
  too optimistic for them.
* **Deals slipping** — at each stage a deal may slip: its expected close date moves out a
  month and the next step waits 3–6 weeks; the chance grows through the run (a cooling
  market), so stage history learnt early overstates how fast deals close.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date

US, UK = "US", "UK"
RAISE_MONTH = {US: 1, UK: 4}
RAISE = {US: 0.04, UK: 0.03}
BONUS_MONTH = {US: 12, UK: 3}
BONUS = {US: 0.6, UK: 0.5}  # share of one run's gross paid as bonus
DRIFTER_SHARE = 0.25
DRIFT_DAYS_PER_MONTH = 2.0
SLIP_START, SLIP_END = (
    0.05,
    0.25,
)  # chance a stage step slips, at the start and the end of the run


def months_between(start: date, day: date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


class Dynamics:
    def __init__(self, rng: random.Random, start: date, months: int):
        self.rng, self.start, self.months = rng, start, max(months, 1)
        # Hiring waves: the months in which each entity's cohorts start, 3-6 months apart.
        self.waves: dict[str, list[int]] = {}
        for entity in (US, UK):
            month, waves = 0, [0]
            while month < self.months:
                month += rng.randrange(3, 7)
                waves.append(month)
            self.waves[entity] = waves

    def hiring_month(self, entity: str, day: date) -> int:
        """The month of the run whose headcount is on payroll on `day`: the latest wave's, so
        the steady growth path is reached in steps."""
        m = months_between(self.start, day)
        return max(w for w in self.waves[entity] if w <= m)

    def pay_factor(self, entity: str, day: date, second_run_of_month: bool = True) -> float:
        """Annual raises so far, and the bonus when this is the year's bonus run."""
        raises = sum(
            1
            for y in range(self.start.year, day.year + 1)
            if date(y, RAISE_MONTH[entity], 1) <= day and date(y, RAISE_MONTH[entity], 1) > self.start
        )
        factor = (1 + RAISE[entity]) ** raises
        if day.month == BONUS_MONTH[entity] and second_run_of_month:
            factor *= 1 + BONUS[entity]
        return factor

    def late_drift_days(self, company_id: str, day: date) -> int:
        """Extra days a drifting customer takes to pay an invoice issued on `day` (0 for the rest)."""
        digest = hashlib.sha256(company_id.encode()).digest()
        if digest[0] >= 256 * DRIFTER_SHARE:
            return 0
        return int(DRIFT_DAYS_PER_MONTH * months_between(self.start, day))

    def slips(self, day: date) -> bool:
        """Whether a deal's stage step slips today (the chance grows through the run)."""
        progress = min(max(months_between(self.start, day) / self.months, 0.0), 1.0)
        return self.rng.random() < SLIP_START + (SLIP_END - SLIP_START) * progress

    def slip_days(self) -> int:
        """How long a slipped step waits: 3-6 weeks."""
        return self.rng.randrange(21, 43)
