# References tab: the work it does on the UI thread against a background graph load.
add_executable(bench_references ${CMAKE_CURRENT_LIST_DIR}/bench_references.cpp)
target_link_libraries(bench_references PRIVATE leakscope_model leakscope_options)
target_compile_definitions(bench_references PRIVATE LEAKSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
