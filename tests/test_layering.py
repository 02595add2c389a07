"""The architecture, held by the imports: the two models (what a server should answer; what a
browser does with the answer) are pure — standard library and the shared grammar, error and type
modules only — and import no adapter or tool; the browser model and the server model do not
import each other; and no module reaches into another tool's private names.

The imports are read with ``ast`` (nothing is imported), so a function-level import counts too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "corsight"

#: Modules every layer may import: HTTP grammar, errors, shared aliases, origin syntax.
SHARED = {"corsight.httpsyntax", "corsight.errors", "corsight.types", "corsight.originsyntax"}
#: The server model: policy -> engine -> decision.
SERVER_MODEL = {
    "corsight.policy", "corsight.origins", "corsight.regexcheck", "corsight.routing", "corsight.engine",
    "corsight.dynamic", "corsight.origin_callback",
}  # fmt: skip
#: The browser model, and the diagnosis built purely on it.
BROWSER_MODEL_PREFIX = "corsight.browser"
#: Tool packages or modules: none may import another's private names.
TOOLS = ("check", "har", "scan", "proxy", "export", "ui", "lint", "config", "testing")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, module: str) -> list[tuple[str, list[str]]]:
    """(imported module, names taken) for every import statement, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, list[str]]] = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, [alias.name for alias in node.names]))
    return found


def _is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


def _in_model(module: str) -> str | None:
    if module in SERVER_MODEL:
        return "server"
    if module == BROWSER_MODEL_PREFIX or module.startswith(BROWSER_MODEL_PREFIX + "."):
        return "browser"
    return None


MODULES = _modules()


def test_the_models_exist() -> None:
    assert any(_in_model(m) == "server" for m in MODULES)
    assert any(_in_model(m) == "browser" for m in MODULES)


def model_violations(module: str, path: Path) -> list[str]:
    """What ``module`` (of a model) imports that its model may not."""
    layer = _in_model(module)
    wrong = []
    for imported, _ in _imports(path, module):
        if _is_stdlib(imported) or imported in SHARED or imported == "corsight":
            continue
        if not imported.startswith("corsight."):
            wrong.append(f"{module} imports the third-party {imported}")
        elif _in_model(imported) != layer:
            wrong.append(f"{module} ({layer} model) imports {imported}")
    return wrong


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in_model(m)))
def test_a_model_imports_only_the_standard_library_and_its_own_model(module: str) -> None:
    assert model_violations(module, MODULES[module]) == []


def test_the_check_catches_each_kind_of_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "fetch.py"
    bad.write_text(
        "import httpx\nfrom corsight.asgi import CORSMiddleware\n"
        "def f():\n    from corsight.engine import Engine\n"
        "from corsight.errors import PolicyError\nimport re\n"
    )
    assert model_violations("corsight.browser.fetch", bad) == [
        "corsight.browser.fetch imports the third-party httpx",
        "corsight.browser.fetch (browser model) imports corsight.asgi",
        "corsight.browser.fetch (browser model) imports corsight.engine",
    ]


def _tool_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 1 and parts[1].split("_")[0] in TOOLS:
        return parts[1].split("_")[0]
    return None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_takes_another_tools_private_names(module: str) -> None:
    own = _tool_of(module)
    for imported, names in _imports(MODULES[module], module):
        other = _tool_of(imported)
        if other is None or other == own:
            continue
        private = [n for n in names if n.startswith("_")]
        assert not private, f"{module} takes {private} from {imported}, another tool's private names"
