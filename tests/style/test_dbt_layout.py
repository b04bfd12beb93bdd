"""dbt project layout (#22): each unit test sits beside the model it tests, in the model's
own `<model>.yml` or in `<model>_unit_tests.yml` next to its `.sql`, so reading a model
shows its cases (no shared unit-test file far from the models).

One exception, a chain tested as a whole: bank_matches' rule models (intermediate/bank/matching)
each take the rows the rules before them matched, and their cases pass those rows on as YAML
anchors, so all of them live in marts/bank/bank_matches_unit_tests.yml, beside the mart the
chain ends in."""

from __future__ import annotations

from pathlib import Path

import yaml

MODELS = Path(__file__).resolve().parents[2] / "transforms" / "models"
CHAINS = {"bank_matches_unit_tests.yml": MODELS / "intermediate" / "bank" / "matching"}


def test_unit_tests_sit_beside_their_models():
    found = 0
    for path in MODELS.rglob("*.yml"):
        for case in yaml.safe_load(path.read_text()).get("unit_tests") or []:
            found += 1
            model = case["model"]
            if path.name in CHAINS and (CHAINS[path.name] / f"{model}.sql").exists():
                continue  # a link of the chain, tested with the others
            assert path.name in (f"{model}.yml", f"{model}_unit_tests.yml"), (path, case["name"])
            assert (path.parent / f"{model}.sql").exists(), (path, model)
    assert found >= 8  # the cases split out of the old marts/unit_tests.yml, and bank_matches'
