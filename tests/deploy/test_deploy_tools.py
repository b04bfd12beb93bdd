"""The deploy tools on template.yaml: cfn-lint, `sam validate --lint`, `sam build`.

The SAM CLI lives in its own venv (.venv-sam, `make sam`): it pins a `click` that
conflicts with dbt-core's. No Docker engine is assumed, so `sam build` builds the zip
functions only (pip downloads the arm64 wheels from PyPI); the image functions are
checked by test_deploy_template.py (Dockerfile, requirements, handler import).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_support import (
    REPO,
    TEMPLATE,
    ZIP_REQUIREMENTS,
    functions,
    handler_of,
    is_image,
    python_for_lambda,
    requirement_names,
    sam_binary,
    sam_env,
    template,
)


def _sam() -> Path:
    sam = sam_binary()
    if sam is None:
        pytest.skip("the SAM CLI venv is missing: run `make sam` (make test does)")
    return sam


def test_cfn_lint_passes():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    proc = subprocess.run([str(cfn_lint), "--", str(TEMPLATE)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sam_validate_lint_passes():
    proc = subprocess.run(
        [str(_sam()), "validate", "--lint", "--template-file", str(TEMPLATE)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=sam_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is a valid SAM Template" in proc.stdout + proc.stderr


def _zip_only_template() -> dict:
    """The template's zip functions with what `sam build` reads (code, runtime,
    architecture, handler), the image functions left out: they need a Docker engine."""
    source = template()
    globals_ = copy.deepcopy(source.get("Globals", {}))
    globals_.get("Function", {}).pop("Environment", None)  # refers to resources left out
    globals_.get("Function", {}).pop("Tags", None)
    kept = ("CodeUri", "Handler", "Runtime", "Architectures", "MemorySize", "Timeout", "Layers")
    resources = {}
    for name, function in functions().items():
        if is_image(function):
            continue
        props = {k: copy.deepcopy(v) for k, v in function["Properties"].items() if k in kept}
        props["CodeUri"] = str(REPO / props["CodeUri"])
        resources[name] = {"Type": function["Type"], "Properties": props}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": source["Transform"],
        "Globals": globals_,
        "Resources": resources,
    }


@pytest.mark.slow
def test_sam_build_of_the_zip_functions(tmp_path):
    """`sam build` produces, for every zip function, an arm64 artifact holding the
    ledgerlake package with its handler and the pinned dependencies."""
    sam = _sam()
    python = python_for_lambda()
    if python is None:
        pytest.skip("no python3.12 interpreter on this machine: `sam build` needs one matching the Lambda runtime")
    built_template = _zip_only_template()
    assert built_template["Resources"], "no zip functions in template.yaml"
    (tmp_path / "template.json").write_text(json.dumps(built_template, indent=1))
    build_dir = tmp_path / "build"
    proc = subprocess.run(
        [
            str(sam),
            "build",
            "--template-file",
            str(tmp_path / "template.json"),
            "--build-dir",
            str(build_dir),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=sam_env(python.parent),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "Build Succeeded" in proc.stdout + proc.stderr

    wanted = {name.replace("-", "_") for name in requirement_names(ZIP_REQUIREMENTS)}
    for name in built_template["Resources"]:
        artifact = build_dir / name
        module = handler_of(functions()[name]).rsplit(".", 1)[0]
        assert (artifact / (module.replace(".", "/") + ".py")).is_file(), f"{name}: {module} not in the artifact"
        installed = {p.name.split("-")[0].lower() for p in artifact.glob("*.dist-info")}
        assert wanted <= installed, f"{name}: missing {wanted - installed}"
        # Native code must be built for Lambda's arm64, not for this machine.
        natives = list((artifact / "cryptography").rglob("*.so"))
        assert natives, f"{name}: cryptography has no compiled module"
        arch = subprocess.run(["file", "-b", str(natives[0])], capture_output=True, text=True).stdout
        if arch:  # `file` may be absent; the wheel tag check below still holds
            assert "aarch64" in arch or "ARM aarch64" in arch, f"{name}: {natives[0].name} is {arch}"
        tags = (next(artifact.glob("cryptography-*.dist-info")) / "WHEEL").read_text()
        assert "aarch64" in tags, f"{name}: cryptography wheel is not arm64: {tags}"
        # No developer tooling or other functions' heavy dependencies in a zip.
        for heavy in ("polars", "duckdb", "dbt", "prophet", "pandas"):
            assert not (artifact / heavy).exists(), f"{name}: {heavy} should not be in a zip artifact"
