"""An import-linter contract for layers named by patterns (dev-only: `make lint` runs it).

import-linter's own `layers` contract takes plain module names, each layer with all its
descendants, so it cannot say "every `*.views` is above `results`" while `results.views`
lives inside `results`. Here each layer is a list of patterns (`fnmatch` style, a pattern also
covering the pattern's descendants) and a module belongs to the layer of the pattern that names
it most precisely: the one matching the most of its dotted name, so `*.views` (which names all
of `results.views`) wins over `results` (one part of it). A module may import from its own
layer and the layers below it; every module of the root packages must fall in some layer, so
nothing new escapes the check. Direct imports only (a chain of legal steps is legal), function-
level imports included (grimp reads every import statement).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from grimp import ImportGraph
from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck, InvalidContractOptions


def _match_depth(pattern: str, module: str) -> int:
    """How many leading parts of `module` the pattern names (0: it does not match)."""
    parts = module.split(".")
    pattern_depth = len(pattern.split("."))
    if pattern_depth > len(parts):
        return 0
    return pattern_depth if fnmatchcase(".".join(parts[:pattern_depth]), pattern) else 0


def layer_of(module: str, layers: list[list[str]]) -> int | None:
    """The index (lowest first) of the layer whose pattern names `module` most precisely."""
    best: tuple[int, int] | None = None  # (depth, layer)
    for index, patterns in enumerate(layers):
        for pattern in patterns:
            depth = _match_depth(pattern, module)
            if depth and (best is None or depth > best[0]):
                best = (depth, index)
    return None if best is None else best[1]


class LayerPatternsContract(Contract):
    """
    Options:
        - layers: highest first (as import-linter's `layers`), each a comma-separated list of
          module patterns.
        - ignore_imports: known violations, `importer -> imported` (import-linter expressions);
          one that no longer matches an import fails the check, so the list only shrinks.
    """

    type_name = "layer_patterns"

    layers = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def validate(self) -> None:
        if not self.layers:
            raise InvalidContractOptions({"layers": "At least one layer is required."})

    def _patterns_lowest_first(self) -> list[list[str]]:
        return [[p.strip() for p in str(layer).split(",") if p.strip()] for layer in reversed(self.layers)]

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=AlertLevel.ERROR,
        )
        layers = self._patterns_lowest_first()
        roots = self.session_options["root_packages"]
        ours = sorted(m for m in graph.modules if m.split(".")[0] in roots)
        level = {module: layer_of(module, layers) for module in ours}
        unplaced = [module for module in ours if level[module] is None]
        upward = []
        for importer in ours:
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported not in level or level[importer] is None or level[imported] is None:
                    continue
                if level[imported] > level[importer]:  # type: ignore[operator]
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = tuple(d["line_number"] for d in details)
                    upward.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(
            kept=not unplaced and not upward,
            metadata={"unplaced": unplaced, "upward": upward},
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for module in check.metadata["unplaced"]:
            output.print_error(f"{module} is in no layer: add a pattern for it.")
        for violation in check.metadata["upward"]:
            lines = ", ".join(f"l.{n}" for n in violation["lines"])
            output.print_error(f"{violation['importer']} -> {violation['imported']} ({lines})", bold=False)
        if check.metadata["upward"]:
            output.new_line()
            output.print_error("A module may import only from its own layer or the layers below it.", bold=False)
