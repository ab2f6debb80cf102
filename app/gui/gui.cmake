# Sources of the desktop application (included from app/CMakeLists.txt).
target_sources(leakscope_app PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/gui/jobrunner.h ${CMAKE_CURRENT_SOURCE_DIR}/gui/jobrunner.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/gui/sessioncontroller.h ${CMAKE_CURRENT_SOURCE_DIR}/gui/sessioncontroller.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/gui/examplesession.h ${CMAKE_CURRENT_SOURCE_DIR}/gui/examplesession.cpp
)
target_compile_definitions(leakscope_app PRIVATE LEAKSCOPE_VERSION="${PROJECT_VERSION}")
target_compile_definitions(leakscope PRIVATE LEAKSCOPE_VERSION="${PROJECT_VERSION}")

# The example session ships inside the binary (leakscope --example). It is a
# real recording by the agent, made with:
#   cd resources/examples && PYTHONPATH=../python python3 -m leakscope_agent run --no-serve \
#       --every 0.5 -o demo-session.lsnap leaky_cache.py --iterations 240 --interval 0.05
set(LEAKSCOPE_EXAMPLE_SESSION ${PROJECT_SOURCE_DIR}/resources/examples/demo-session.lsnap)
if(EXISTS ${LEAKSCOPE_EXAMPLE_SESSION})
    qt_add_resources(leakscope_app "leakscope_examples"
        PREFIX "/examples"
        BASE ${PROJECT_SOURCE_DIR}/resources/examples
        FILES ${LEAKSCOPE_EXAMPLE_SESSION})
endif()
