"""A static scan for writes to another app's tables.

For every module of a domain app it finds the models imported from other apps' `models`
and flags, on those names:
- manager writes: `Model.objects....create/bulk_create/update/delete/get_or_create/
  update_or_create/bulk_update` (any chain starting at the model name);
- unsaved instances handed to a bulk write: `bulk_create([Model(...)])`, and `Model(...).save()`;
- raw SQL against its table: `Model._meta.db_table`, and SQL text that writes
  (`INSERT INTO`, `UPDATE`, `DELETE FROM`) a table named after another app's label.
Instances fetched from another app and then `.save()`d are out of its reach; the runtime
test in test_cross_app_writes.py catches those on the services it drives.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

WRITE_METHODS = {
    "create",
    "bulk_create",
    "update",
    "delete",
    "get_or_create",
    "update_or_create",
    "bulk_update",
    "create_user",
    "create_superuser",
}
_SQL_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    what: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.what}"


def _foreign_models(tree: ast.Module, app: str, apps: set[str]) -> dict[str, str]:
    """Local name -> "<app>.<Model>" for models imported from other apps' models modules."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if len(parts) == 2 and parts[1] == "models" and parts[0] in apps - {app}:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{parts[0]}.{alias.name}"
    return names


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _chain(node: ast.AST) -> list[str]:
    attrs = []
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(node, ast.Attribute):
            attrs.append(node.attr)
        node = node.func if isinstance(node, ast.Call) else node.value
    return attrs[::-1]


def scan_source(source: str, *, path: str, app: str, apps: set[str]) -> list[Violation]:
    tree = ast.parse(source)
    foreign = _foreign_models(tree, app, apps)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            root = _root(node.func)
            if isinstance(root, ast.Name) and root.id in foreign:
                chain = _chain(node.func)
                if method in WRITE_METHODS and "objects" in chain:
                    found.append(Violation(path, node.lineno, f"{method} on {foreign[root.id]}"))
                elif method == "save" and isinstance(node.func.value, ast.Call):
                    found.append(Violation(path, node.lineno, f"save of new {foreign[root.id]}"))
            if method in ("bulk_create", "bulk_update"):
                for arg in ast.walk(node):
                    if (
                        isinstance(arg, ast.Call)
                        and isinstance(arg.func, ast.Name)
                        and arg.func.id in foreign
                    ):
                        what = f"{method} of {foreign[arg.func.id]}"
                        found.append(Violation(path, node.lineno, what))
                        break
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "db_table"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "_meta"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in foreign
        ):
            what = f"raw SQL on {foreign[node.value.value.id]}"
            found.append(Violation(path, node.lineno, what))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in _SQL_WRITE.finditer(node.value):
                table = match.group(2).lower()
                owner = next((a for a in apps if table.startswith(f"{a}_")), None)
                if owner is not None and owner != app:
                    what = f"raw SQL {match.group(1).upper()} on {table}"
                    found.append(Violation(path, node.lineno, what))
    return found


def scan_app(root: Path, app: str, apps: set[str]) -> list[Violation]:
    found: dict[tuple[str, int], Violation] = {}
    for path in sorted((root / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = str(path.relative_to(root))
        for violation in scan_source(path.read_text(), path=relative, app=app, apps=apps):
            found.setdefault((violation.path, violation.line), violation)
    return list(found.values())
