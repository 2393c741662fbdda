"""Tests of server (a package of tests: see tests/__init__.py)."""
