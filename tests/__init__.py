"""The test suite: a package, so that same-named modules (conftest.py, test_findings.py) in different
folders import under distinct names (tests.cli.conftest, tests.server.conftest) in any pytest run."""
