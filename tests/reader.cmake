# Area "reader": .lsnap reader and writer, objgraph importers.
leakscope_add_qtest(tst_snapshotreader tst_snapshotreader.cpp readertestutil.h LIBS leakscope_model)
leakscope_add_qtest(tst_objgraphreader tst_objgraphreader.cpp readertestutil.h LIBS leakscope_model)
leakscope_add_qtest(tst_snapshotwriter tst_snapshotwriter.cpp readertestutil.h LIBS leakscope_model)
# Mutation fuzzing of both readers over a real recorded file (issue 12).
leakscope_add_qtest(tst_lsnapfuzz tst_lsnapfuzz.cpp readertestutil.h LIBS leakscope_model)
