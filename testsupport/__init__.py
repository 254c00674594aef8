"""Test support shared by the tests and the benchmarks: faithful local emulators and simulators.

Not production code: nothing under ``components/``, ``tools/`` or ``policies/`` imports it.
"""
