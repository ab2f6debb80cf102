# References and Retainers tabs (included from app/CMakeLists.txt).
target_sources(leakscope_app PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/gui/heapgraphcache.h ${CMAKE_CURRENT_SOURCE_DIR}/gui/heapgraphcache.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/gui/referencespanel.h ${CMAKE_CURRENT_SOURCE_DIR}/gui/referencespanel.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/gui/retainersmodel.h ${CMAKE_CURRENT_SOURCE_DIR}/gui/retainersmodel.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/gui/retainerspanel.h ${CMAKE_CURRENT_SOURCE_DIR}/gui/retainerspanel.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/gui/referencetabs.h ${CMAKE_CURRENT_SOURCE_DIR}/gui/referencetabs.cpp
)
