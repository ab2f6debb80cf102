# Area "pytest": leaking tests from the pytest plugin's snapshots.
target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/testleaks.h ${CMAKE_CURRENT_SOURCE_DIR}/testleaks.cpp)
