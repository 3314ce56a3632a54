"""What `pip install .` would install, read without building: the wheel metadata
scikit-build-core derives from pyproject.toml. (scripts/test_wheel.sh, in the
test command, builds the real wheel, installs it into a fresh environment and
runs it there.)"""
import subprocess
import sys
from email.parser import Parser

import pytest

import embetter
from conftest import ROOT, require_module


@pytest.fixture(scope="module")
def metadata(tmp_path_factory):
    require_module("scikit_build_core.build")
    out = tmp_path_factory.mktemp("metadata")
    code = "import sys, scikit_build_core.build as b; print(b.prepare_metadata_for_build_wheel(sys.argv[1]))"
    result = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    folder = out / result.stdout.strip().splitlines()[-1]
    return Parser().parsestr((folder / "METADATA").read_text(encoding="utf-8"))


def test_wheel_declares_runtime_dependencies(metadata):
    requires = metadata.get_all("Requires-Dist")
    runtime = sorted(r for r in requires if "extra ==" not in r)
    # 1.6: validate_data, __sklearn_tags__; diskcache: utils.cached (the original's cache format)
    assert runtime == ["diskcache>=5.6.1", "numpy>=1.24", "scikit-learn>=1.6"]
    assert 'pandas>=1.5; extra == "pandas"' in requires  # optional: lists and arrays work without it
    assert "pandas" in metadata.get_all("Provides-Extra")


def test_wheel_version_is_the_package_version(metadata):
    assert metadata["Name"] == "embetter"
    assert metadata["Version"] == embetter.__version__
