# Agent installer and Python launch helpers (CLI area; the GUI reuses them).
target_sources(leakscope_model PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/agentinstaller.h ${CMAKE_CURRENT_LIST_DIR}/agentinstaller.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pythoncommand.h ${CMAKE_CURRENT_LIST_DIR}/pythoncommand.cpp
)
