"""Builds the agent's optional native module (leakscope_agent._native).

Everything else is declared in pyproject.toml. The extension is optional:
without a C compiler or Python headers the install still succeeds and the
agent runs its pure-Python passes.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "leakscope_agent._native",
    sources=["native/_native.c"],
    extra_compile_args=["-std=c11"],
    optional=True,
)])
