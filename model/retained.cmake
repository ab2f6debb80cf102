# Retained and delta-retained columns of the growth table: retained bytes per type name.
target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/retainedbytype.h ${CMAKE_CURRENT_LIST_DIR}/retainedbytype.cpp)
