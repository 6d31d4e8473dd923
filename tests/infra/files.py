"""Reading the deployment files as an engine would, without one: interpolation, Dockerfiles;
and what an image needs: the code its service imports, its packages from uv.lock."""

from __future__ import annotations

import ast
import fnmatch
import functools
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from uv import find_uv_bin

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>\w+))")


class MissingVariableError(ValueError):
    """A ``${VAR:?message}`` (or ``${VAR?message}``) whose variable is not set."""


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ``$$``, ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = env.get(name)
        unset_or_empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and unset_or_empty:
            return arg
        if op in (":?", "?") and unset_or_empty:
            raise MissingVariableError(f"{name}: {arg}")
        return value or ""

    return _VARIABLE.sub(replace, text)


def compose_variables(text: str) -> dict[str, str | None]:
    """Every variable the compose file reads, with its operator (``:?``, ``:-`` or None)."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(text):
        name = match.group("name") or match.group("bare")
        if name:
            found.setdefault(name, match.group("op"))
            if match.group("op") == ":?":
                found[name] = ":?"
    return found


def load_compose(project_root: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``docker-compose.yml`` parsed; interpolated with ``env`` when given."""
    text = (project_root / "docker-compose.yml").read_text()
    if env is not None:
        text = interpolate(text, env)
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def env_file(path: Path) -> dict[str, str]:
    """The assignments of an ``.env`` file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def dockerfile_stages(path: Path) -> list[Stage]:
    """The stages of a Dockerfile with their instructions (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
    return stages


def copy_sources(stage: Stage) -> list[str]:
    """The build-context paths a stage's COPY instructions read (not ``--from`` copies)."""
    sources: list[str] = []
    for keyword, rest in stage.instructions:
        if keyword != "COPY":
            continue
        words = shlex.split(rest)
        if any(word.startswith("--from=") for word in words):
            continue
        paths = [word for word in words if not word.startswith("--")]
        sources.extend(paths[:-1])
    return sources


def exec_form(stage: Stage, keyword: str) -> list[str] | None:
    """The last ``CMD``/``ENTRYPOINT`` of a stage in exec (JSON) form."""
    found = [rest for kw, rest in stage.instructions if kw == keyword]
    if not found:
        return None
    value = json.loads(found[-1])
    assert isinstance(value, list), f"{keyword} must be in exec form: {found[-1]}"
    return [str(word) for word in value]


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether ``.dockerignore`` patterns (no negations used here) exclude ``path``."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(Path(prefix).name, bare)
            ):
                return True
    return False


def dockerignore_patterns(project_root: Path) -> list[str]:
    lines = (project_root / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


# --- what an image needs: the project code its service imports, and the locked packages ---

# Top-level packages of the project and the folders that hold them.
PROJECT_PACKAGES = {"services": "services", "evaluation": "evaluation", "cnn101": "proto"}
# A Linux x86-64 CPython 3.11 container, for the markers of an exported requirement.
CONTAINER_MARKERS = {
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "python_version": "3.11",
    "python_full_version": "3.11.14",
    "extra": "",
}


@dataclass
class CodeNeeds:
    """The project modules a service loads (its files) and the packages their code imports."""

    files: set[Path]
    imports: set[str]

    def folders(self, project_root: Path) -> set[str]:
        """The build-context paths holding that code, as a Dockerfile copies them:
        ``services/<package>`` or ``services/<module>.py``, ``evaluation``, ``proto``."""
        found: set[str] = set()
        for path in self.files:
            parts = path.relative_to(project_root).parts
            if parts[0] == "services":
                found.add("/".join(parts[:2]))
            else:
                found.add(parts[0])
        return found


def _import_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def _module_file(project_root: Path, name: str) -> Path | None:
    """The source file of a project module (``a.b`` -> ``a/b.py`` or ``a/b/__init__.py``)."""
    parts = name.split(".")
    base = project_root / PROJECT_PACKAGES[parts[0]] if parts[0] == "cnn101" else project_root
    for candidate in (
        base.joinpath(*parts).with_suffix(".py"),
        base.joinpath(*parts, "__init__.py"),
    ):
        if candidate.is_file():
            return candidate
    return None


def code_needs(project_root: Path, modules: list[str], not_run: tuple[str, ...] = ()) -> CodeNeeds:
    """What importing ``modules`` in a fresh interpreter loads of the project, plus what that
    code imports inside functions (followed through the project), except inside the modules
    ``not_run`` names: code an image carries but never runs (the general worker's copy of
    the model tasks). A library's own imports are its metadata's business: the lock has them.
    """
    probe = (
        f"import json, sys; import {', '.join(modules)}; print(json.dumps(sorted("
        "n for n, m in list(sys.modules.items()) if getattr(m, '__file__', None))))"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    loaded = [
        name
        for name in json.loads(output.strip().splitlines()[-1])
        if name.split(".")[0] in PROJECT_PACKAGES
    ]
    files: set[Path] = set()
    imports: set[str] = set()
    pending = list(loaded)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(project_root, name)
        if path is None:
            continue  # a name imported from a module, not a module
        files.add(path.resolve())
        follow_lazy = not (not_run and name.startswith(not_run))
        for imported, lazy in _imports(ast.parse(path.read_text())):
            if lazy and not follow_lazy:
                continue
            top = imported.split(".")[0]
            if top in PROJECT_PACKAGES:
                pending.append(imported)
            else:
                imports.add(top)
    return CodeNeeds(files, imports)


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """Every module a file imports, and whether inside a function (a lazy import); the
    imports under ``if TYPE_CHECKING:`` are only for the type checker, and skipped."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.orelse:
                visit(statement, lazy)
            return
        found.extend((name, lazy) for name in _import_names(node))
        inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


def locked_export(project_root: Path, *arguments: str) -> str:
    """``uv export`` of the lock (frozen, offline: the lock as it is, no resolution)."""
    result = subprocess.run(
        [
            find_uv_bin(),
            "export",
            "--frozen",
            "--offline",
            "--format",
            "requirements-txt",
            *arguments,
        ],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def locked_packages(project_root: Path, *arguments: str) -> dict[str, str]:
    """The packages ``uv export`` installs in a Linux container: normalised name -> version."""
    packages: dict[str, str] = {}
    text = re.sub(r"\\\n", " ", locked_export(project_root, "--no-hashes", *arguments))
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate(CONTAINER_MARKERS):
            continue
        packages[canonicalize_name(requirement.name)] = str(requirement.specifier).lstrip("=")
    return packages


@dataclass(frozen=True)
class Image:
    """What an image (``infra/docker/<name>.Dockerfile``) is for."""

    extra: str  # the pyproject.toml extra it installs from uv.lock
    modules: tuple[str, ...]  # what it runs, so must be able to import
    not_run: tuple[str, ...] = ()  # modules it carries but never runs the functions of
    carries: tuple[str, ...] = ()  # what it copies besides code


# Services that run another service's image (with their own command).
RUNS_IMAGE_OF = {"beat": "worker"}

IMAGES = {
    "inference": Image("inference", ("services.inference.server",), carries=("models",)),
    "activations": Image("activations", ("services.activations.server",), carries=("models",)),
    # The general worker imports the model tasks but never runs them (the `models` queue).
    "worker": Image("worker", ("services.worker.app",), not_run=("services.worker.model_tasks",)),
    # The model worker also runs `python -m services.cli data download` (compose's data-init,
    # the Kubernetes download job).
    # `cnn101 run` (services.runner, which the CLI imports) never runs in it: its liveness
    # probes' imports (gRPC health) are not the image's business.
    "model-worker": Image(
        "model-worker", ("services.worker.app", "services.cli"), not_run=("services.runner",)
    ),
    "evaluation": Image("study", ("evaluation.app", "evaluation.cli")),
    "studio": Image("studio", ("services.studio.app",)),
    "gateway": Image("gateway", ("services.gateway.app",)),
}


@functools.cache
def image_needs(project_root: Path, image: str) -> CodeNeeds:
    """:func:`code_needs` of an image's modules (computed once per test run)."""
    spec = IMAGES[image]
    return code_needs(project_root, list(spec.modules), spec.not_run)


@functools.cache
def image_packages(project_root: Path, image: str) -> dict[str, str]:
    """The packages an image installs: the lock's core and the image's extra."""
    return locked_packages(
        project_root, "--no-dev", "--no-emit-project", "--extra", IMAGES[image].extra
    )
