# Retained and delta-retained columns: real agent recordings with heap graphs.
leakscope_add_qtest(tst_retained tst_retained.cpp guitestdata.h LIBS leakscope_app)
