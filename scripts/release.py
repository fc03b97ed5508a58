"""Make a release that students can install: one version in the package, the Colab notebooks'
install cell and their links, a CHANGELOG entry and an annotated git tag.

    python scripts/release.py 0.3.0            # bump, regenerate colab/, CHANGELOG, commit, tag v0.3.0
    python scripts/release.py 0.3.0 --dry-run  # say what it would do, change nothing

Steps: check that the working tree has no uncommitted changes to tracked files, that the
version is X.Y.Z and newer than the current one, and that the tag does not exist; write the
version into ``pyproject.toml`` and ``rnncourse/__init__.py``; regenerate ``colab/`` with
``scripts/make_colab.py`` (the install cell pins ``git+<repository>@vX.Y.Z`` and every Colab
link opens ``blob/vX.Y.Z/colab/...``); add a section to ``CHANGELOG.md`` listing the commits since
the previous tag; commit "Release vX.Y.Z" and make the annotated tag ``vX.Y.Z``. Nothing is
pushed: CONTRIBUTING.md says how a maintainer publishes (push the commit and the tag; the Pages
workflow publishes the book). ``tests/test_release.py`` fails when the version, the install
cell's pin and the links disagree.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
PYPROJECT_VERSION = re.compile(r'^version = "([^"]+)"$', re.M)
INIT_VERSION = re.compile(r'^__version__ = "([^"]+)"$', re.M)


def git(*args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"release: git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def current_version() -> str:
    m = PYPROJECT_VERSION.search((ROOT / "pyproject.toml").read_text())
    if not m:
        raise SystemExit('release: no line version = "X.Y.Z" in pyproject.toml')
    return m.group(1)


def changelog_section(version: str, previous_tag: str | None) -> str:
    span = f"{previous_tag}..HEAD" if previous_tag else "HEAD"
    subjects = [s for s in git("log", "--no-merges", "--format=%s", span).splitlines() if s]
    lines = [f"## v{version} ({datetime.date.today().isoformat()})", ""]
    lines.append(f"Changes since {previous_tag}:" if previous_tag else "The first release.")
    lines.append("")
    for s in subjects:
        lines.append(f"- {s if len(s) <= 150 else s[:147] + '...'}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("version", help="the new version, X.Y.Z (the tag is vX.Y.Z)")
    ap.add_argument("--dry-run", action="store_true", help="check and print, change nothing")
    args = ap.parse_args(argv)

    m = VERSION.match(args.version)
    if not m:
        ap.error(f"expected a version X.Y.Z (three numbers), got {args.version!r}")
    old = current_version()
    old_m = VERSION.match(old)
    if old_m and tuple(map(int, m.groups())) <= tuple(map(int, old_m.groups())):
        ap.error(f"the new version must be newer than the current {old}, got {args.version}")
    tag = f"v{args.version}"
    if git("tag", "--list", tag):
        ap.error(f"the tag {tag} exists already")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    if dirty:
        ap.error("the working tree has uncommitted changes to tracked files; commit or stash "
                 f"them first:\n{dirty}")
    previous = git("describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", check=False) or None
    section = changelog_section(args.version, previous)
    print(f"release: {old} -> {args.version}, tag {tag}; CHANGELOG.md gets:\n{section}")
    if args.dry_run:
        return 0

    pyproject = ROOT / "pyproject.toml"
    pyproject.write_text(PYPROJECT_VERSION.sub(f'version = "{args.version}"', pyproject.read_text(), count=1))
    init = ROOT / "rnncourse" / "__init__.py"
    text = init.read_text()
    if not INIT_VERSION.search(text):
        raise SystemExit('release: no line __version__ = "X.Y.Z" in rnncourse/__init__.py')
    init.write_text(INIT_VERSION.sub(f'__version__ = "{args.version}"', text, count=1))
    done = subprocess.run([sys.executable, "scripts/make_colab.py"], cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit("release: scripts/make_colab.py failed; the version files are changed, "
                         "nothing is committed (git checkout -- . undoes it)")
    changelog = ROOT / "CHANGELOG.md"
    head = "# Changelog\n\nEach release is a git tag vX.Y.Z; its Colab notebooks install that tag.\n\n"
    body = changelog.read_text()[len(head):] if changelog.exists() and changelog.read_text().startswith(head) \
        else (changelog.read_text() if changelog.exists() else "")
    changelog.write_text(head + section + ("\n" + body if body else ""))
    git("add", "pyproject.toml", "rnncourse/__init__.py", "CHANGELOG.md", "colab")
    git("commit", "-q", "-m", f"Release {tag}")
    git("tag", "-a", tag, "-m", f"rnncourse {args.version}")
    print(f"release: committed and tagged {tag}. To publish: git push origin HEAD {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
