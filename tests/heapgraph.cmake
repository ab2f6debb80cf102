# Heap graph model and algorithms.
leakscope_add_qtest(tst_heapgraph tst_heapgraph.cpp heapgraphtestutil.h LIBS leakscope_model)
leakscope_add_qtest(tst_dominatortree tst_dominatortree.cpp heapgraphtestutil.h LIBS leakscope_model)
leakscope_add_qtest(tst_referencegraph tst_referencegraph.cpp heapgraphtestutil.h LIBS leakscope_model)
# Runs tests/heapgraph/leaky_heap.py under LEAKSCOPE_PYTHON.
leakscope_add_qtest(tst_realheap tst_realheap.cpp LIBS leakscope_model)
