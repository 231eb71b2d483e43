"""The simulator is the other side of the wire: it must not import the portal's clients, parsers or rules."""

import ast
from pathlib import Path

SIM_DIR = Path(__file__).resolve().parents[2] / "minegnk" / "sim"


def test_sim_imports_nothing_from_the_rest_of_minegnk():
    offenders = []
    for path in SIM_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] == "minegnk" and not name.startswith("minegnk.sim"):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
