# Heap graph: load, in-edges, backrefs, chain and dominators at 100k/1M nodes.
add_executable(bench_heapgraph ${CMAKE_CURRENT_LIST_DIR}/bench_heapgraph.cpp)
target_link_libraries(bench_heapgraph PRIVATE leakscope_model leakscope_options)
