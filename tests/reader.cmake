# Area "reader": .lsnap reader and writer, objgraph importers.
leakscope_add_qtest(tst_snapshotreader tst_snapshotreader.cpp readertestutil.h LIBS leakscope_model)
leakscope_add_qtest(tst_objgraphreader tst_objgraphreader.cpp readertestutil.h LIBS leakscope_model)
leakscope_add_qtest(tst_snapshotwriter tst_snapshotwriter.cpp readertestutil.h LIBS leakscope_model)
