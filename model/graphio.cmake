# Area "graphio": heap graphs in .lsnap files (SQLite BLOBs, zlib streams).
find_package(ZLIB REQUIRED)
target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/heapgraphstore.h ${CMAKE_CURRENT_LIST_DIR}/heapgraphstore.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sharedgraphs.h ${CMAKE_CURRENT_LIST_DIR}/sharedgraphs.cpp
)
target_link_libraries(leakscope_model PRIVATE ZLIB::ZLIB)
