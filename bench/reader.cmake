# Area "reader": SnapshotReader::read() vs a bare SQLite scan of the same file.
add_executable(bench_reader ${CMAKE_CURRENT_LIST_DIR}/bench_reader.cpp)
target_link_libraries(bench_reader PRIVATE leakscope_model leakscope_options)
