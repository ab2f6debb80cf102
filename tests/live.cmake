leakscope_add_qtest(tst_agentclient tst_agentclient.cpp LIBS leakscope_model)
leakscope_add_qtest(tst_livecli tst_livecli.cpp LIBS leakscope_model)
add_dependencies(tst_livecli leakscope-cli)
leakscope_add_qtest(tst_livegui tst_livegui.cpp LIBS leakscope_app)
# The window draws reference graphs and message boxes: fontconfig's caches
# stay until exit by design (see graphview.lsan.supp).
set_property(TEST tst_livegui APPEND PROPERTY ENVIRONMENT
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/graphview.lsan.supp:print_suppressions=0")
# attach/detach on real processes (gdb; skips without it).
leakscope_add_qtest(tst_attach tst_attach.cpp LIBS leakscope_model)
add_dependencies(tst_attach leakscope-cli)
leakscope_add_qtest(tst_attachgui tst_attachgui.cpp guitestdata.h LIBS leakscope_app)
set_property(TEST tst_attachgui APPEND PROPERTY ENVIRONMENT
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/graphview.lsan.supp:print_suppressions=0")
