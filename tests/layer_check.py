"""An `ast` check of a package's import structure against a layer map (`tinygrad_lite.layers`).

`check(package_dir, rules)` reads every module of the package without importing it
and returns one `Problem` per offence, each naming the module, file and line:

* a module missing from the layer map;
* a back edge: an import from a higher layer;
* an import cycle (also within one layer);
* an import inside a function or class (allowed only for the rules' optional
  third-party packages), or of a package module under a module-level ``if``/``try``
  (allowed only where the rules name it; ``if TYPE_CHECKING:`` is fine);
* a ``_private`` name imported from another module, or read from an imported module
  (``viz._draw``);
* a package importing outside what `Rules.only_uses` allows it;
* a package restricted to the public API importing anything else;
* a leaf package imported by a module the rules do not allow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType


@dataclass(frozen=True)
class Rules:
    """The layer map and the extra rules, as `tinygrad_lite.layers` writes them."""

    package: str
    layers: tuple[tuple[str, tuple[str, ...]], ...]
    only_uses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    public_api: tuple[str, ...] = ()
    public_api_only: tuple[str, ...] = ()
    imported_only_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional_third_party: tuple[str, ...] = ()
    conditional_imports: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, layers_module: ModuleType) -> Rules:
        return cls(
            package=layers_module.PACKAGE,
            layers=layers_module.LAYERS,
            only_uses=layers_module.ONLY_USES,
            public_api=layers_module.PUBLIC_API,
            public_api_only=layers_module.PUBLIC_API_ONLY,
            imported_only_by=layers_module.IMPORTED_ONLY_BY,
            optional_third_party=layers_module.OPTIONAL_THIRD_PARTY,
            conditional_imports=layers_module.CONDITIONAL_IMPORTS,
        )

    def layer_of(self, module: str) -> int | None:
        """The layer of ``module``: its own entry, else that of the nearest listed package
        above it. The package root stands for its ``__init__`` alone."""
        ranks = {name: rank for rank, (_, names) in enumerate(self.layers) for name in names}
        name = module
        while True:
            if name in ranks and (name == module or name != self.package):
                return ranks[name]
            if "." not in name:
                return None
            name = name.rsplit(".", 1)[0]

    def layer_name(self, rank: int) -> str:
        return self.layers[rank][0]


@dataclass(frozen=True)
class Problem:
    module: str
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.module}: {self.message}"


@dataclass(frozen=True)
class Import:
    """One imported name (or module) of a module, resolved to the package module it comes from."""

    target: str  # the package module, or the top-level name of a third-party module
    name: str | None  # the imported name, None for `import x`
    line: int
    where: str  # "top", "type-checking", "block" (module-level if/try/with) or "function"
    in_package: bool


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def package_modules(package_dir: Path) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` file of the package (``__init__`` is the package)."""
    root = package_dir.parent
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _positions(tree: ast.Module) -> dict[int, str]:
    """id(import node) -> where it sits."""
    where: dict[int, str] = {}

    def visit(node: ast.AST, context: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
            ):
                visit(child, "function")
            elif context == "top" and isinstance(child, ast.If):
                guard = "type-checking" if "TYPE_CHECKING" in ast.unparse(child.test) else "block"
                visit(child, guard)
            elif context == "top" and isinstance(child, ast.Try | ast.With):
                visit(child, "block")
            else:
                if isinstance(child, ast.Import | ast.ImportFrom):
                    where[id(child)] = context
                visit(child, context)

    visit(tree, "top")
    return where


def imports_of(module: str, path: Path, modules: Mapping[str, Path], package: str) -> list[Import]:
    tree = ast.parse(path.read_text(), str(path))
    where = _positions(tree)
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            pairs = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            pairs = [(source, alias.name) for alias in node.names]
        else:
            continue
        for source, name in pairs:
            if not within(source, package):
                found.append(
                    Import(source.split(".")[0], name, node.lineno, where[id(node)], False)
                )
                continue
            target = f"{source}.{name}" if name and f"{source}.{name}" in modules else source
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if name and target == f"{source}.{name}":
                name = None  # a submodule, imported as a module
            found.append(Import(target, name, node.lineno, where[id(node)], True))
    return found


def _private_attributes(path: Path, module_names: set[str]) -> Iterator[tuple[str, int]]:
    """``alias._name`` reads on the names bound to imported package modules."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_names
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            yield f"{node.value.id}.{node.attr}", node.lineno


def _module_aliases(path: Path, modules: Mapping[str, Path], package: str) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    aliases = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and within(node.module, package):
            aliases |= {
                alias.asname or alias.name
                for alias in node.names
                if f"{node.module}.{alias.name}" in modules
            }
        elif isinstance(node, ast.Import):
            aliases |= {
                alias.asname for alias in node.names if alias.asname and within(alias.name, package)
            }
    return aliases


def _cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def check(package_dir: Path, rules: Rules) -> list[Problem]:
    """Every offence against ``rules`` in the package at ``package_dir``."""
    modules = package_modules(package_dir)
    problems: list[Problem] = []
    edges: dict[str, set[str]] = {module: set() for module in modules}
    first_line: dict[tuple[str, str], int] = {}
    for module, path in modules.items():

        def report(line: int, message: str, module: str = module, path: Path = path) -> None:
            problems.append(Problem(module, path, line, message))

        rank = rules.layer_of(module)
        if rank is None:
            report(1, "is not in the layer map")
        for item in imports_of(module, path, modules, rules.package):
            if not item.in_package:
                if item.where == "function" and item.target not in rules.optional_third_party:
                    report(item.line, f"imports {item.target} inside a function")
                continue
            target = item.target
            if target == module:
                continue
            edges[module].add(target)
            first_line.setdefault((module, target), item.line)
            if item.where == "function":
                report(item.line, f"imports {target} inside a function")
            elif item.where == "block" and (module, target) not in rules.conditional_imports:
                report(item.line, f"imports {target} inside a module-level block")
            if item.name and item.name.startswith("_") and not item.name.startswith("__"):
                report(item.line, f"imports the private name {item.name} from {target}")
            target_rank = rules.layer_of(target)
            if rank is not None and target_rank is not None and target_rank > rank:
                report(
                    item.line,
                    f"imports {target} (layer {rules.layer_name(target_rank)!r}) from layer "
                    f"{rules.layer_name(rank)!r}: a back edge",
                )
            for package, allowed in rules.only_uses.items():
                if within(module, package) and not within(target, package):
                    allowed_here = target_rank is not None and any(
                        rules.layer_name(target_rank) == entry or within(target, entry)
                        for entry in allowed
                    )
                    if not allowed_here:
                        report(item.line, f"imports {target}; {package} uses only {allowed}")
            for package in rules.public_api_only:
                outside = within(module, package) and not within(target, package)
                if outside and target not in rules.public_api:
                    report(item.line, f"imports {target}, which is not public API")
            for leaf, importers in rules.imported_only_by.items():
                into_leaf = within(target, leaf) and not within(module, leaf)
                if into_leaf and not any(within(module, importer) for importer in importers):
                    report(item.line, f"imports {target}, a leaf imported only by {importers}")
        aliases = _module_aliases(path, modules, rules.package)
        for attribute, line in _private_attributes(path, aliases):
            report(line, f"reads the private name {attribute} of another module")
    for component in _cycles(edges):
        module = component[0]
        inside = sorted(target for target in edges[module] if target in component)
        problems.append(
            Problem(
                module,
                modules[module],
                first_line[(module, inside[0])],
                "import cycle: " + " -> ".join(component),
            )
        )
    unique = dict.fromkeys(problems)  # one line per offence, even when it imports several names
    return sorted(unique, key=lambda problem: (str(problem.path), problem.line))
