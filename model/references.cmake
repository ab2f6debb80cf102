# References tab: the ReferenceSubgraph / live backrefs -> LayoutInput adapter.
target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/referencelayout.h ${CMAKE_CURRENT_LIST_DIR}/referencelayout.cpp)
