"""Docker-free packaging: the placeholder layer downloads nothing; the real build is marked slow."""

import zipfile

import pytest

from infra import packaging, sizes


def test_placeholder_bundling_writes_a_note_and_installs_nothing(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pip must not run with bundle=false")

    monkeypatch.setattr(packaging.subprocess, "run", refuse)
    assert packaging.PipLayerBundling(install=False).try_bundle(str(tmp_path)) is True
    assert [p.name for p in (tmp_path / "python").iterdir()] == ["PLACEHOLDER.txt"]


def test_real_bundling_runs_pip_for_lambda_arm64_python_312(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(packaging.subprocess, "run", lambda command, check: calls.append(command))
    assert packaging.PipLayerBundling(install=True).try_bundle(str(tmp_path)) is True
    (command,) = calls
    assert command[command.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in command and command[command.index("--implementation") + 1] == "cp"
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert platforms and all(p.endswith("_aarch64") for p in platforms)
    assert command[command.index("-t") + 1] == str(tmp_path / "python")
    assert command[command.index("-r") + 1] == str(packaging.DEPS_REQUIREMENTS)


def test_zipped_size_skips_caches_and_matches_a_real_zip(tmp_path):
    (tmp_path / "handler.py").write_text("def lambda_handler(event, context):\n    return event\n" * 50)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "handler.cpython-312.pyc").write_bytes(b"\0" * 10_000)
    zipped, unzipped = sizes.zipped_size(tmp_path)
    assert unzipped == (tmp_path / "handler.py").stat().st_size
    with zipfile.ZipFile(tmp_path.parent / "check.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(tmp_path / "handler.py", "handler.py")
    assert zipped == (tmp_path.parent / "check.zip").stat().st_size


def test_size_report_covers_every_function_and_the_core_layer():
    names = [name for name, *_ in sizes.report(None)]
    assert names[-1] == "layer core (layers/core)"
    assert len(names) == len(packaging_function_names()) + 1


def packaging_function_names():
    from nova_bridge import catalogue

    return catalogue.ALL_FUNCTIONS


@pytest.mark.slow
def test_dependency_layer_builds_with_arm64_wheels(tmp_path):
    """Downloads the pinned wheels from PyPI (run with `-m slow`)."""
    packaging.build_dependency_layer(tmp_path)
    built = tmp_path / "python"
    assert (built / "pydantic").is_dir() and (built / "aws_lambda_powertools").is_dir()
    native = [p.name for p in built.glob("pydantic_core/*.so")]
    assert native and all("aarch64" in name for name in native)
    assert all("aarch64" in p.name for p in built.glob("psycopg_binary/*.so"))
