"""Widget tests (a package, because module names such as test_findings repeat other folders)."""
