"""Every Cypher string of the project parses with Neo4j's own grammar and names known labels.

Cypher lives in UPPER_SNAKE module constants (STYLE.md), so it can be collected without running
anything. graph/store/ is excluded by design: its strings are the dialect hooks (FalkorDB
full-text procedures and DDL) that differ per engine on purpose.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from graph import schema

LINT_DIR = Path(__file__).resolve().parent.parent / "tools" / "cypher-lint"
PACKAGES = ("queries", "loaders", "api", "viz")
_CYPHER = re.compile(r"^\s*(MATCH|OPTIONAL MATCH|MERGE|UNWIND|CREATE|WITH|CALL|RETURN)\b", re.I)
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _strings(value, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def collect_cypher() -> dict[str, str]:
    """module.CONSTANT -> Cypher text, for every Cypher-looking UPPER_SNAKE constant."""
    found: dict[str, str] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names = [package_name] + [f"{package_name}.{m.name}" for m in
                                  pkgutil.walk_packages(package.__path__) if not m.ispkg]
        for module_name in names:
            module = importlib.import_module(module_name)
            for attr, value in vars(module).items():
                if not _NAME.match(attr) or getattr(value, "__module__", None):
                    continue
                for where, text in _strings(value, f"{module_name}.{attr}"):
                    if _CYPHER.match(text) and re.search(r"\$|\bRETURN\b|\bSET\b|\bDELETE\b",
                                                         text):
                        found[where] = text
    return found


def _lint(queries: dict[str, str]) -> list[dict]:
    payload = {"labels": list(schema.LABELS), "relationshipTypes": list(schema.REL_TYPES),
               "queries": [{"id": k, "query": v} for k, v in sorted(queries.items())]}
    out = subprocess.run(["node", str(LINT_DIR / "lint.mjs")], input=json.dumps(payload),
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)


def _linter_available() -> bool:
    return bool(shutil.which("node")) and (
        LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir()


needs_linter = pytest.mark.skipif(
    not _linter_available() and os.environ.get("PATENTKG_REQUIRE_LINT") != "1",
    reason="npm linter not installed: cd tools/cypher-lint && npm ci")


@needs_linter
def test_linter_catches_a_broken_query() -> None:
    findings = _lint({"bad": "MATCH (p:Patent RETURN p", "typo": "MATCH (p:Patnt) RETURN p"})
    assert {f["id"] for f in findings} == {"bad", "typo"}


@needs_linter
def test_every_cypher_string_passes_neo4j_grammar() -> None:
    queries = collect_cypher()
    assert len(queries) >= 10, f"expected the project's Cypher constants, found {sorted(queries)}"
    findings = _lint(queries)
    # Unknown labels / relationship types are typos against graph/schema.py; property
    # "not present" warnings are not, since row maps of UNWIND batches have free-form keys.
    problems = [f for f in findings if f["severity"] == "error"
                or re.match(r"(Label|Relationship type) \S+ is not present", f["message"])]
    assert not problems, "\n".join(f"{p['id']}: {p['message']}" for p in problems)
