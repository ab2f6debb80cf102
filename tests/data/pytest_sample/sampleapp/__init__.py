"""A tiny application for the pytest plugin's tests: one module keeps
sessions in a module-level list, one keeps bound methods in a registry."""
