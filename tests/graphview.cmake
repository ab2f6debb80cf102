# Reference graph: Graphviz layout (model) and the graph view (views).
leakscope_add_qtest(tst_graphlayout tst_graphlayout.cpp graphviewsample.h LIBS leakscope_model Qt6::Concurrent)
leakscope_add_qtest(tst_referencegraphview tst_referencegraphview.cpp graphviewsample.h LIBS leakscope_views)
foreach(test tst_graphlayout tst_referencegraphview)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
        "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/graphview.lsan.supp:print_suppressions=0")
endforeach()
