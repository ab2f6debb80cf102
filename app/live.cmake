target_sources(leakscope_app PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/gui/livecontroller.h ${CMAKE_CURRENT_LIST_DIR}/gui/livecontroller.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gui/consolepane.h ${CMAKE_CURRENT_LIST_DIR}/gui/consolepane.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gui/livedialogs.h ${CMAKE_CURRENT_LIST_DIR}/gui/livedialogs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gui/liveui.h ${CMAKE_CURRENT_LIST_DIR}/gui/liveui.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gui/attachdialog.h ${CMAKE_CURRENT_LIST_DIR}/gui/attachdialog.cpp
)
target_link_libraries(leakscope_app PRIVATE Qt6::Concurrent)

# The demo program (leakscope --demo) ships inside the binary.
qt_add_resources(leakscope_app "leakscope_demo"
    PREFIX "/demo"
    BASE ${PROJECT_SOURCE_DIR}/resources/examples
    FILES ${PROJECT_SOURCE_DIR}/resources/examples/leaky_cache.py)
