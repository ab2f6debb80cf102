target_sources(leakscope_app PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/gui/livecontroller.h ${CMAKE_CURRENT_LIST_DIR}/gui/livecontroller.cpp
)
