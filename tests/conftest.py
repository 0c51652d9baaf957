"""Test isolation for every distribution's tests.

Each test gets its own ``AGENTKIT_HOME`` and, unless it says otherwise, loads no
entry-point plugins, so what a developer has installed never leaks into a result.
In CI (``CI=true``) a test may not be skipped for a missing tool: the skip fails.
"""

from __future__ import annotations

import os

import pytest

from agentkit import plugins


@pytest.fixture(autouse=True)
def isolated_agentkit(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("agentkit-home")
    monkeypatch.setenv("AGENTKIT_HOME", str(home))
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "")
    for name in ("AGENTKIT_MODEL", "AGENTKIT_STRICT_PLUGINS", "AGENTKIT_TRACE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    plugins.reset_for_tests()
    yield home
    plugins.reset_for_tests()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must install what the test needs: {reason}"
    return report
