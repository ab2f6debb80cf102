# Area "graphio": heap graphs in .lsnap files and the CLI graph commands.
find_package(ZLIB REQUIRED)
# Writes graphs with the real writer and corrupts them with SQL; builds a
# zlib bomb with zlib itself.
leakscope_add_qtest(tst_heapgraphstore tst_heapgraphstore.cpp heapgraphtestutil.h
    LIBS leakscope_model ZLIB::ZLIB)
# leakscope-cli chain / backrefs / retained on real files (runs the binary).
leakscope_add_qtest(tst_graphcommands tst_graphcommands.cpp heapgraphtestutil.h LIBS leakscope_model)
add_dependencies(tst_graphcommands leakscope-cli)
# Graphviz's SVG/PNG renderers fill fontconfig's caches, which live until exit
# by design (the same suppressions as the graph view tests, asan preset).
set_property(TEST tst_graphcommands APPEND PROPERTY ENVIRONMENT
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/graphview.lsan.supp:print_suppressions=0")
