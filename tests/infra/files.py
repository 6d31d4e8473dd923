"""Reading the deployment files as an engine would, without one: interpolation, Dockerfiles."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
