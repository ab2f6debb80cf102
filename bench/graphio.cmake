# Heap graph through a .lsnap file: write, then load vs a raw SQLite BLOB read.
add_executable(bench_graphio ${CMAKE_CURRENT_LIST_DIR}/bench_graphio.cpp)
target_link_libraries(bench_graphio PRIVATE leakscope_model leakscope_options)
