# Area "pytest": leaking tests in the CLI (compare --by-test) and the window.
target_sources(leakscope_cli_lib PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/cli/bytestreport.h ${CMAKE_CURRENT_SOURCE_DIR}/cli/bytestreport.cpp)
