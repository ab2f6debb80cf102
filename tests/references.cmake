# References and Retainers tabs: the window offscreen on real agent recordings
# with heap graphs, and a live process.
leakscope_add_qtest(tst_referencelayout tst_referencelayout.cpp LIBS leakscope_model)
leakscope_add_qtest(tst_references tst_references.cpp guitestdata.h LIBS leakscope_app)
foreach(test tst_referencelayout tst_references)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
        "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/graphview.lsan.supp:print_suppressions=0")
endforeach()
