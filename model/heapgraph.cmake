# Heap graph model and algorithms (back-references, chains, dominators).
target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/taskcontrol.h
    ${CMAKE_CURRENT_LIST_DIR}/packedarray.h ${CMAKE_CURRENT_LIST_DIR}/packedarray.cpp
    ${CMAKE_CURRENT_LIST_DIR}/checkedint.h
    ${CMAKE_CURRENT_LIST_DIR}/heapgraph.h ${CMAKE_CURRENT_LIST_DIR}/heapgraph.cpp
    ${CMAKE_CURRENT_LIST_DIR}/referencechain.h ${CMAKE_CURRENT_LIST_DIR}/referencechain.cpp
    ${CMAKE_CURRENT_LIST_DIR}/rootpathindex.h ${CMAKE_CURRENT_LIST_DIR}/rootpathindex.cpp
    ${CMAKE_CURRENT_LIST_DIR}/referencesubgraph.h ${CMAKE_CURRENT_LIST_DIR}/referencesubgraph.cpp
    ${CMAKE_CURRENT_LIST_DIR}/dominatortree.h ${CMAKE_CURRENT_LIST_DIR}/dominatortree.cpp
)
