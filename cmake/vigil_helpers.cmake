include(GoogleTest)

# vigil_library(NAME SOURCES... [DEPS ...]) -> target vigil_NAME, alias vigil::NAME.
function(vigil_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(vigil_${name} STATIC ${ARG_SOURCES})
  add_library(vigil::${name} ALIAS vigil_${name})
  target_include_directories(vigil_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(vigil_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_options(vigil_${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

# vigil_test(NAME SOURCES... DEPS ...) -> a GoogleTest binary registered with ctest.
function(vigil_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 30)
endfunction()
