# References and Retainers tabs: the window offscreen on real agent recordings
# with heap graphs, and a live process.
leakscope_add_qtest(tst_referencelayout tst_referencelayout.cpp LIBS leakscope_model)
leakscope_add_qtest(tst_references tst_references.cpp guitestdata.h LIBS leakscope_app)
