"""The names the package registers in code and the entry points setup.py
declares, read from the source (nothing is imported or installed), and the
check that they agree both ways."""

import ast
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "spacy_bert_components"

# Registry attribute (`registry.architectures`) -> entry-point group.
GROUP_OF_REGISTRY = {
    "architectures": "spacy_architectures",
    "misc": "spacy_misc",
    "scorers": "spacy_scorers",
    "readers": "spacy_readers",
    "callbacks": "spacy_callbacks",
    "optimizers": "thinc_optimizers",
    "span_getters": "spacy_span_getters",
}
FACTORY_GROUP = "spacy_factories"

# (entry-point group, registered name) -> "module:function".
Registrations = Dict[Tuple[str, str], str]


def _registration(call: ast.Call) -> Optional[Tuple[str, str]]:
    """RETURNS: (group, name) of `registry.<r>("name")`,
    `registry.<r>.register("name", ...)` or `Language.factory("name", ...)`
    (`.component` too); None for any other call."""
    func = call.func
    if not call.args or not isinstance(call.args[0], ast.Constant) or not isinstance(func, ast.Attribute):
        return None
    name = call.args[0].value
    owner = func.value
    if isinstance(owner, ast.Name) and owner.id == "Language" and func.attr in ("factory", "component"):
        return FACTORY_GROUP, name
    if func.attr == "register" and isinstance(owner, ast.Attribute):
        func, owner = owner, owner.value
    if isinstance(owner, ast.Name) and owner.id == "registry":
        # A registry without a group here still shows up, as a mismatch.
        return GROUP_OF_REGISTRY.get(func.attr, f"(no group for registry.{func.attr})"), name
    return None


def code_registrations(package_dir: Path = REPO_ROOT / PACKAGE) -> Registrations:
    """Every registration in the package's modules: decorators on
    module-level functions and module-level `registry.<r>.register(name,
    func=f)` calls.

    package_dir (Path): The package's folder.
    RETURNS (Registrations): What is registered, and the function it points to.
    """
    found: Registrations = {}
    for path in sorted(package_dir.rglob("*.py")):
        module = ".".join(path.relative_to(package_dir.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf8")).body:
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    key = _registration(decorator) if isinstance(decorator, ast.Call) else None
                    if key:
                        found[key] = f"{module}:{node.name}"
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                key = _registration(node.value)
                func = [kw.value for kw in node.value.keywords if kw.arg == "func"]
                if key and func and isinstance(func[0], ast.Name):
                    found[key] = f"{module}:{func[0].id}"
    return found


def declared_entry_points(setup_py: Path = REPO_ROOT / "setup.py") -> Registrations:
    """The entry points of setup.py's `*_ENTRY_POINTS` tables (console
    scripts aside).

    setup_py (Path): The setup script.
    RETURNS (Registrations): What is declared, and the function it points to.
    """
    found: Registrations = {}
    for node in ast.parse(setup_py.read_text(encoding="utf8")).body:
        target = (
            node.target
            if isinstance(node, ast.AnnAssign)
            else (node.targets[0] if isinstance(node, ast.Assign) else None)
        )
        if (
            not isinstance(target, ast.Name)
            or not target.id.endswith("_ENTRY_POINTS")
            or not isinstance(node.value, ast.Dict)
        ):
            continue
        for group, lines in ast.literal_eval(node.value).items():
            for line in lines:
                name, value = (part.strip() for part in line.split("=", 1))
                found[(group, name)] = value
    return found


def registration_mismatches(code: Registrations, declared: Registrations) -> List[str]:
    """Compare the two, both ways.

    code (Registrations): What the code registers.
    declared (Registrations): What the entry points declare.
    RETURNS (List[str]): One line per disagreement; empty when they agree.
    """
    problems = [
        f"{group}:{name} is registered in {code[(group, name)]} but setup.py declares no entry point for it"
        for group, name in sorted(set(code) - set(declared))
    ]
    problems += [
        f"{group}:{name} is declared in setup.py ({declared[(group, name)]}) but nothing in the code registers it"
        for group, name in sorted(set(declared) - set(code))
    ]
    problems += [
        f"{group}:{name}: setup.py points to {declared[key]}, the code registers {code[key]}"
        for key in sorted(set(code) & set(declared))
        for group, name in [key]
        if code[key] != declared[key]
    ]
    return problems
