"""Suite-wide: pytester, for the pytest plugin's tests (tests/runbook/test_pytest_plugin.py)."""

pytest_plugins = ["pytester"]
