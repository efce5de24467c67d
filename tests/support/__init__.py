"""Helpers shared by the test suite: fixtures that build files and models, never tests."""
