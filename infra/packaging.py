"""Docker-free packaging of the Lambda code and layers.

The dependency layer is built with pip for Lambda's platform (manylinux aarch64, CPython 3.12,
wheels only), so `cdk synth` needs no Docker. `-c bundle=false` swaps the pip run for a tiny
placeholder (tests and quick synths download nothing).

`python -m infra.packaging OUT_DIR` builds the dependency layer into OUT_DIR/python.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
CORE_LAYER_DIR = REPO_ROOT / "layers" / "core"
DEPS_REQUIREMENTS = REPO_ROOT / "layers" / "deps" / "requirements.txt"
MIGRATIONS_DIR = CORE_LAYER_DIR / "python" / "nova_bridge" / "migrations"

PYTHON_VERSION = "3.12"
# Lambda's Python 3.12 runs on Amazon Linux 2023 (glibc 2.34): manylinux wheels up to 2.34 load.
# Some pins (psycopg-binary 3.3) only publish manylinux_2_28 wheels, so 2014 alone is not enough.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
HANDLER = "handler.lambda_handler"
ASSET_EXCLUDES = ["__pycache__", "*.pyc", ".pytest_cache", "tests"]
PLACEHOLDER_NOTE = "Placeholder dependency layer: synthesized with -c bundle=false (nothing installed).\n"


def pip_install_command(out_dir: Path | str, requirements: Path = DEPS_REQUIREMENTS) -> list[str]:
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        *[arg for platform in PLATFORMS for arg in ("--platform", platform)], "--implementation", "cp", "--python-version", PYTHON_VERSION,
        "--only-binary=:all:", "-t", str(Path(out_dir) / "python"), "-r", str(requirements),
    ]


def build_dependency_layer(out_dir: Path | str) -> None:
    """Install layers/deps/requirements.txt for Lambda arm64 / Python 3.12 into OUT_DIR/python."""
    subprocess.run(pip_install_command(out_dir), check=True)


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """Builds the dependency layer on this machine instead of in a Docker container."""

    def __init__(self, install: bool) -> None:
        self.install = install

    def try_bundle(self, output_dir: str, *_options: object) -> bool:
        if self.install:
            build_dependency_layer(output_dir)
        else:
            placeholder = Path(output_dir) / "python"
            placeholder.mkdir(parents=True, exist_ok=True)
            (placeholder / "PLACEHOLDER.txt").write_text(PLACEHOLDER_NOTE)
        return True


def dependency_layer_code(install: bool) -> lambda_.Code:
    # The hash is taken from the output, so a placeholder never masquerades as the real layer.
    return lambda_.Code.from_asset(
        str(DEPS_REQUIREMENTS.parent),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),  # never pulled: local bundling wins
            local=PipLayerBundling(install),
        ),
    )


def core_layer_code() -> lambda_.Code:
    return lambda_.Code.from_asset(str(CORE_LAYER_DIR), exclude=ASSET_EXCLUDES)


def function_code(name: str) -> lambda_.Code:
    return lambda_.Code.from_asset(str(FUNCTIONS_DIR / name), exclude=ASSET_EXCLUDES)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m infra.packaging OUT_DIR")
    build_dependency_layer(sys.argv[1])
