"""Helpers shared by the Python tests: the public data beside the repository and the CLI."""

import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


def shared_data(sub: str) -> pathlib.Path:
    """The shared data folder beside the repository: skip (with a message) where it is
    absent, as on a user's machine; fail under CI=true."""
    p = (REPO / ".." / "shared" / "data" / sub).resolve()
    if p.exists():
        return p
    if os.environ.get("CI") == "true":
        pytest.fail(f"{p} not found: under CI the shared data sets must sit beside the repository")
    pytest.skip(f"SKIPPED: {p} not found (the shared data sets sit beside the repository on CI only)")


def cli() -> pathlib.Path:
    """The `slaw` binary built by `cargo build --release` (CI builds it before these tests):
    SLAW_CLI, else target/release/slaw in the repository, else on PATH."""
    env = os.environ.get("SLAW_CLI")
    candidates = [pathlib.Path(env)] if env else []
    candidates.append(REPO / "target" / "release" / "slaw")
    which = shutil.which("slaw")
    if which:
        candidates.append(pathlib.Path(which))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    if os.environ.get("CI") == "true":
        pytest.fail("the slaw CLI was not found: build it with `cargo build --release`")
    pytest.skip("SKIPPED: the slaw CLI was not found (build it with `cargo build --release`)")


def same(a, b) -> bool:
    """Two JSON-like values equal, floats to 1e-12 (a result's to_dict() against the CLI's --json)."""
    import math

    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b
