# Area "cli": the agent installer and the leakscope-cli executable, end to end.
leakscope_add_qtest(tst_agentinstaller tst_agentinstaller.cpp LIBS leakscope_model Qt6::Concurrent)
leakscope_add_qtest(tst_cli tst_cli.cpp LIBS leakscope_model)
# tst_cli runs the real binary.
add_dependencies(tst_cli leakscope-cli)
