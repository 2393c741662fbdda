"""Tests of emulator (a package of tests: see tests/__init__.py)."""
