# Reference graph: Graphviz layout of 100 and 300 nodes against reading the
# same graph without layout, plus building and painting the Qt scene.
add_executable(bench_graphlayout ${CMAKE_CURRENT_LIST_DIR}/bench_graphlayout.cpp)
target_link_libraries(bench_graphlayout PRIVATE leakscope_views leakscope_options)
