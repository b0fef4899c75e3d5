"""The stubs match the module: every public name of surefoot._native (and of each class) is in
_native.pyi and the other way round. `make test-python` also runs mypy.stubtest, which
compares signatures too."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Dict, Set

import surefoot
import surefoot._native as native
import surefoot.testing

STUB = Path(native.__file__).with_name("_native.pyi")

# Dunders the stubs spell out only where they matter to type checkers.
IGNORED = {
    "__doc__", "__module__", "__new__", "__init__", "__repr__", "__str__", "__hash__",
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
}


def stub_names() -> Dict[str, Set[str]]:
    tree = ast.parse(STUB.read_text())
    out: Dict[str, Set[str]] = {"": set()}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[""].add(node.name)
            members = out.setdefault(node.name, set())
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[""].add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[""].add(node.target.id)
    return out


def public(names: Set[str]) -> Set[str]:
    return {n for n in names if not n.startswith("_") or (n.startswith("__") and n not in IGNORED)}


def test_module_names_match_the_stub() -> None:
    stubs = stub_names()
    runtime = {n for n in dir(native) if not n.startswith("_")} | {"__version__"}
    assert public(stubs[""]) == runtime


def test_class_members_match_the_stub() -> None:
    stubs = stub_names()
    for name in public(stubs[""]):
        obj = getattr(native, name)
        if not inspect.isclass(obj):
            continue
        runtime = {m for m in vars(obj) if not m.startswith("_") or m.startswith("__")}
        runtime = public(runtime) - {"__hash__"}
        assert public(stubs[name]) == runtime, name


def test_package_exports() -> None:
    for name in surefoot.__all__:
        assert hasattr(surefoot, name), name
    assert surefoot.testing.Emulator is native.Emulator
    assert (Path(surefoot.__file__).parent / "py.typed").exists()
