# ctest installed_headers_self_contained (cmake -P): installs the build into
# PREFIX, then checks the installed package's promises:
#   - no internal/ header is installed;
#   - every installed header compiles alone with only PREFIX/include/protean
#     (and the system's third-party headers) on the include path, so the
#     public set is closed (cmake/public_headers.cmake).
# Arguments: -DBUILD_DIR= -DPREFIX= -DCXX=
foreach(arg BUILD_DIR PREFIX CXX)
  if(NOT DEFINED ${arg})
    message(FATAL_ERROR "check_installed_headers.cmake: -D${arg}= is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${PREFIX} failed (${rc})")
endif()
set(include_dir "${PREFIX}/include/protean")
file(GLOB_RECURSE headers RELATIVE "${include_dir}" "${include_dir}/*.h")
if(NOT headers)
  message(FATAL_ERROR "no header installed under ${include_dir}")
endif()
set(failed "")
foreach(header IN LISTS headers)
  if(header MATCHES "(^|/)internal/")
    list(APPEND failed "${header}: an internal header is installed")
    continue()
  endif()
  execute_process(COMMAND "${CXX}" -std=c++20 -fsyntax-only -x c++ -I "${include_dir}"
                          -include "${header}" /dev/null
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(APPEND failed "${header}: does not compile alone:\n${err}")
  endif()
endforeach()
foreach(expected bin/protean bin/protean-harness)
  if(NOT EXISTS "${PREFIX}/${expected}")
    list(APPEND failed "${expected}: not installed")
  endif()
endforeach()
foreach(expected protean-config.cmake protean-config-version.cmake protean-targets.cmake)
  file(GLOB_RECURSE found "${PREFIX}/*/cmake/protean/${expected}")
  if(NOT found)
    list(APPEND failed "${expected}: not installed (under lib*/cmake/protean/)")
  endif()
endforeach()
if(failed)
  list(JOIN failed "\n" text)
  message(FATAL_ERROR "installed package under ${PREFIX} (kept for a look):\n${text}")
endif()
file(REMOVE_RECURSE "${PREFIX}")  # the libraries with debug info are large
list(LENGTH headers count)
message(STATUS "${count} installed headers compile alone; no internal header installed")
