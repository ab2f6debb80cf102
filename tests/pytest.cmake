# Area "pytest": leaking tests from the real plugin's files (model, CLI, window).
leakscope_add_qtest(tst_pytestleaks tst_pytestleaks.cpp LIBS leakscope_app)
add_dependencies(tst_pytestleaks leakscope-cli)
