"""Every environment variable the settings read is listed in `.env.example`."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "streamify" / "settings"


def _name(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def variables_read(source: str) -> set[str]:
    """Names read through `env(...)`, `env.<cast>(...)`, `os.environ[...]`,
    `os.environ.get/setdefault(...)` and `os.getenv(...)`."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            reads = (
                (isinstance(func, ast.Name) and func.id == "env")
                or (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "env"
                )
                or (
                    isinstance(func, ast.Attribute)
                    and func.attr in {"get", "setdefault"}
                    and _is_os_environ(func.value)
                )
                or (
                    isinstance(func, ast.Attribute)
                    and func.attr == "getenv"
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "os"
                )
            )
            if reads and (name := _name(node)):
                names.add(name)
        elif (
            isinstance(node, ast.Subscript)
            and _is_os_environ(node.value)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
    return names


def listed_in_env_example() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            names.add(line.split("=", 1)[0].strip())
    return names


def test_the_parser_finds_each_kind_of_read():
    source = (
        "import os\n"
        'A = env("A")\nB = env.int("B", default=1)\nC = env.list("C", default=[])\n'
        'D = os.environ["D"]\nE = os.environ.get("E")\nF = os.getenv("F")\n'
        'os.environ.setdefault("G", "x")\nH = env.db("H")\n'
    )
    assert variables_read(source) == set("ABCDEFGH")


def test_every_variable_the_settings_read_is_in_env_example():
    read = set()
    for path in sorted(SETTINGS.glob("*.py")):
        read |= variables_read(path.read_text())
    assert len(read) > 20  # the parser found the settings' reads
    missing = sorted(read - listed_in_env_example())
    assert not missing, f".env.example lacks: {', '.join(missing)}"
