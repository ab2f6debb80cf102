# Graphviz layout of the reference graph (the only source that includes Graphviz).
target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/graphlayout.h
    ${CMAKE_CURRENT_LIST_DIR}/graphlayout.cpp)
