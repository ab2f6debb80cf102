# The agent must work on Python 3.8 to 3.13 (issue 12): the behaviour and
# safety suites run again under the oldest and newest supported interpreters
# where pyenv has them (python_agent above runs them under the default one;
# test_zoo there already runs its programs under each interpreter). A missing
# interpreter is a skipped test with a message, never a silent pass.
foreach(version 3.8 3.13)
    file(GLOB candidates "$ENV{HOME}/.pyenv/versions/${version}.*/bin/python3")
    list(SORT candidates)
    list(LENGTH candidates found)
    if(found GREATER 0)
        list(GET candidates -1 interpreter)
        add_test(NAME python_agent_${version}
            COMMAND ${interpreter} -m unittest -v test_behaviour test_safety
            WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/python)
        set_tests_properties(python_agent_${version} PROPERTIES
            ENVIRONMENT "PYTHONPATH=${PROJECT_SOURCE_DIR}/resources/python;LEAKSCOPE_TEST_ONE_PYTHON=1;${LEAKSCOPE_TEST_ENV}"
            TIMEOUT 1800)
    else()
        add_test(NAME python_agent_${version}
            COMMAND ${Python3_EXECUTABLE} -c "import sys; print('skipping: no Python ${version} under $ENV{HOME}/.pyenv/versions'); sys.exit(77)")
        set_tests_properties(python_agent_${version} PROPERTIES SKIP_RETURN_CODE 77)
    endif()
endforeach()
