"""Reading template.yaml and the build files for tests/deploy (no AWS needed).

The template is parsed with cfn-lint's decoder, which understands the short intrinsic
tags (`!Ref`, `!Sub`, `!GetAtt` ...) and turns them into their long JSON forms.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import shutil
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
ZIP_REQUIREMENTS = REPO / "functions" / "requirements.txt"
LOCK = REPO / "requirements.lock"
SAM_VENV = REPO / ".venv-sam"
# The Lambda Python runtime ships boto3 (and what it depends on); zip functions may use it.
LAMBDA_RUNTIME_PROVIDES = ("boto3",)
# Lambda's runtime for the zip functions; the image functions' base image must match.
LAMBDA_PYTHON = "3.12"


@lru_cache(maxsize=1)
def template() -> dict:
    from cfnlint.decode import cfn_yaml

    return cfn_yaml.load(str(TEMPLATE))


def resources(kind: str) -> dict[str, dict]:
    return {name: res for name, res in template()["Resources"].items() if res["Type"] == kind}


def functions() -> dict[str, dict]:
    return resources("AWS::Serverless::Function")


def is_image(function: dict) -> bool:
    return function["Properties"].get("PackageType") == "Image"


def dockerfile_of(function: dict) -> Path:
    return REPO / function["Metadata"]["Dockerfile"]


def dockerfile_cmd(dockerfile: Path) -> str:
    """The handler named by the image's CMD (["module.attr"])."""
    cmds = re.findall(r"^CMD\s+\[\s*\"([^\"]+)\"\s*\]", dockerfile.read_text(), flags=re.M)
    assert len(cmds) == 1, f'{dockerfile}: expected exactly one CMD ["module.handler"]'
    return cmds[0]


def handler_of(function: dict) -> str:
    if is_image(function):
        return dockerfile_cmd(dockerfile_of(function))
    return function["Properties"]["Handler"]


def requirements_of(function: dict) -> Path:
    if is_image(function):
        return dockerfile_of(function).parent / "requirements.txt"
    return ZIP_REQUIREMENTS


def requirement_names(path: Path) -> dict[str, str | None]:
    """{normalised name: pinned version or None} of a requirements file."""
    out: dict[str, str | None] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        out[normalise(name)] = version.strip() or None
    return out


def lock_versions() -> dict[str, str]:
    out = {}
    for line in LOCK.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            out[normalise(m.group(1))] = m.group(2)
    return out


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower().strip()


def distribution_closure(names) -> set[str]:
    """The named distributions and everything they require (as installed here), with
    markers evaluated for Lambda's Python and no extras."""
    from packaging.requirements import Requirement

    env = {
        "extra": "",
        "python_version": LAMBDA_PYTHON,
        "python_full_version": LAMBDA_PYTHON + ".0",
        "sys_platform": "linux",
        "platform_system": "Linux",
    }
    seen: set[str] = set()
    todo = [normalise(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.distribution(name).requires or []
        except md.PackageNotFoundError:
            continue
        for spec in requires:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate(env):
                todo.append(normalise(req.name))
    return seen


def sub_string(value) -> str | None:
    """The template string of a `!Sub "..."` (or a plain string), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return None


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def role_statements(role_name: str) -> list[dict]:
    role = template()["Resources"][role_name]
    assert role["Type"] == "AWS::IAM::Role"
    out = []
    for policy in role["Properties"].get("Policies", []):
        out.extend(as_list(policy["PolicyDocument"]["Statement"]))
    return out


def function_role(function: dict) -> str:
    role = function["Properties"].get("Role")
    assert isinstance(role, dict) and "Fn::GetAtt" in role, "every function names its own role with !GetAtt <Role>.Arn"
    return role["Fn::GetAtt"][0]


def env_vars(function: dict) -> dict:
    merged = dict(template().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    merged.update(function["Properties"].get("Environment", {}).get("Variables", {}))
    return merged


def secret_names_used(filename: str) -> set[str]:
    """Secret names the source modules called `filename` (webhook.py, hydrate.py, poll.py)
    read: literal `secret("X")` / `ctx.secret("X")` / `auth("X")` (a connection token,
    refreshed) calls and `SECRET_NAME = "X"`."""
    names: set[str] = set()
    for path in sorted((REPO / "functions" / "ledgerlake" / "sources").glob(f"*/{filename}")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called in ("secret", "auth") and isinstance(node.args[0].value, str):
                    names.add(node.args[0].value)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if any(isinstance(t, ast.Name) and t.id == "SECRET_NAME" for t in node.targets):
                    names.add(node.value.value)
    return names


def sam_binary() -> Path | None:
    path = SAM_VENV / "bin" / "sam"
    return path if path.exists() else None


def python_for_lambda() -> Path | None:
    """An interpreter matching Lambda's runtime, which `sam build` insists on finding."""
    found = shutil.which(f"python{LAMBDA_PYTHON}")
    candidates = [Path(found)] if found else []
    candidates += sorted(
        Path(os.path.expanduser("~/.pyenv/versions")).glob(f"{LAMBDA_PYTHON}*/bin/python{LAMBDA_PYTHON}")
    )
    for candidate in candidates:
        try:
            import subprocess

            subprocess.run([str(candidate), "-c", "import pip"], check=True, capture_output=True, timeout=30)
            return candidate
        except Exception:  # noqa: BLE001 - an unusable interpreter: try the next one
            continue
    return None


def sam_env(extra_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SAM_CLI_TELEMETRY": "0",
            "AWS_DEFAULT_REGION": env.get("AWS_REGION", "us-east-1"),
            "SAM_CLI_CONTAINER_CONNECTION_TIMEOUT": "1",
        }
    )
    if extra_path is not None:
        env["PATH"] = f"{extra_path}{os.pathsep}{env.get('PATH', '')}"
    return env


def static_imports(module: str) -> set[str]:
    """Top-level third-party names imported anywhere (eagerly or inside functions) by
    `module` and by every ledgerlake module it reaches that way. An over-approximation
    of what can run, used for the image functions, whose handlers import lazily."""
    import sys

    package_root = REPO / "functions"
    seen: set[str] = set()
    external: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = package_root / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = package_root / name.replace(".", "/") / "__init__.py"
        if not path.exists():
            continue
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")
                    base = base if is_package else base[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                    targets = [stem] + [f"{stem}.{alias.name}" for alias in node.names]
                else:
                    targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for target in targets:
                top = target.split(".")[0]
                if top == "ledgerlake":
                    todo.append(target)
                elif top not in sys.stdlib_module_names and top != "__future__":
                    external.add(top)
    return external
