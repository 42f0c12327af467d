"""docs/security.md names, for each threat, the test that proves its control: every test it names must exist.

A row reads `security/test_uploads.py::test_a`, `::test_b` (the same file), `test_deploy.py` (a whole file). Renaming
or deleting a test without updating the page fails here, so the page cannot drift from the suite.
"""

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
PAGE = TESTS.parent / "docs" / "security.md"
REFERENCE = re.compile(r"`((?:[\w/]+\.py)?)(?:::(\w+))?(?:\[[^\]`]*\])?`")


def _functions(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}


def references() -> list[tuple[str, str | None]]:
    """(test file, test name or None) for every reference in the page's table rows; `::name` takes the row's file."""
    found = []
    for line in PAGE.read_text().splitlines():
        if not line.startswith("|"):
            continue
        for cell in line.split("|"):
            current = None
            for path, name in REFERENCE.findall(cell):
                if path and path.startswith(("test_", "security/", "faults/")):
                    current = path
                elif path or not name:
                    continue  # a code path (`qualifications/uploads.py`), not a test
                assert current, f"{line}: `::{name}` with no test file before it in its cell"
                found.append((current, name or None))
    return found


def test_every_test_the_security_page_names_exists():
    refs = references()
    assert len(refs) > 80, len(refs)  # the page really was read
    missing = []
    for path, name in refs:
        file = TESTS / path
        if not file.exists():
            missing.append(path)
        elif name and name not in _functions(file):
            missing.append(f"{path}::{name}")
    assert missing == [], "docs/security.md names tests that do not exist:\n" + "\n".join(missing)


def test_every_security_test_file_is_on_the_page():
    named = {path for path, _ in references()}
    files = {f"security/{p.name}" for p in (TESTS / "security").glob("test_*.py")} - {"security/test_docs.py"}
    assert files - named == set(), "add a row to docs/security.md for each of these"
