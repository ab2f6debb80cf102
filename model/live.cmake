target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/agentclient.h ${CMAKE_CURRENT_LIST_DIR}/agentclient.cpp
    ${CMAKE_CURRENT_LIST_DIR}/agentdiscovery.h ${CMAKE_CURRENT_LIST_DIR}/agentdiscovery.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pythonprocess.h ${CMAKE_CURRENT_LIST_DIR}/pythonprocess.cpp
    ${CMAKE_CURRENT_LIST_DIR}/agentattacher.h ${CMAKE_CURRENT_LIST_DIR}/agentattacher.cpp
)
target_link_libraries(leakscope_model PUBLIC Qt6::Concurrent)
