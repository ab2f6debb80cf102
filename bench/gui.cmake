# GUI: a 200 snapshot x 20,000 type session through reader, merge, growth,
# model reset, proxy sort/filter and the window's background load.
add_executable(bench_gui ${CMAKE_CURRENT_LIST_DIR}/bench_gui.cpp)
target_link_libraries(bench_gui PRIVATE leakscope_app Qt6::Test leakscope_options)
