# Retained columns: background job vs UI-thread stalls and cached switching.
add_executable(bench_retained ${CMAKE_CURRENT_LIST_DIR}/bench_retained.cpp)
target_link_libraries(bench_retained PRIVATE leakscope_app leakscope_options)
target_compile_definitions(bench_retained PRIVATE LEAKSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
