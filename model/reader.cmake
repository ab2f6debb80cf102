# Area "reader": .lsnap reader/writer, objgraph importers, the SQLite wrapper.
target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/sqlitedatabase.h ${CMAKE_CURRENT_LIST_DIR}/sqlitedatabase.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lsnapformat.h ${CMAKE_CURRENT_LIST_DIR}/lsnapformat.cpp
    ${CMAKE_CURRENT_LIST_DIR}/objgraphreader.h ${CMAKE_CURRENT_LIST_DIR}/objgraphreader.cpp
)
