# Configures the library with EMB_WITH_HUB=OFF and EMB_WITH_PLOT=OFF (nothing
# else: no tests, CLI, benchmarks or Python), then checks that neither libcurl
# nor cairo is on its compile or link lines and that the replacements compile.
# -DSOURCE=<repository> -DWORK=<scratch folder> -DCXX=<compiler>
file(REMOVE_RECURSE ${WORK})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK} -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX}
          -DEMB_WITH_HUB=OFF -DEMB_WITH_PLOT=OFF -DEMB_BUILD_TESTS=OFF -DEMB_BUILD_CLI=OFF -DEMB_BUILD_BENCH=OFF
          -DEMB_BUILD_PYTHON=OFF
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure without the optional parts failed:\n${out}")
endif()
execute_process(COMMAND ninja -C ${WORK} -t commands embetter OUTPUT_VARIABLE commands RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ninja -t commands failed")
endif()
foreach(gone "/src/hub/http_client.cc.o" "/src/plot/scatter.cc.o" "include/cairo" "curl")
  string(FIND "${commands}" "${gone}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "a build without the optional parts still has '${gone}' in its commands")
  endif()
endforeach()
foreach(there "/src/hub/http_client_off.cc.o" "/src/plot/scatter_off.cc.o")
  string(FIND "${commands}" "${there}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "a build without the optional parts lacks '${there}'")
  endif()
endforeach()
foreach(object src/hub/http_client_off.cc src/plot/scatter_off.cc)
  execute_process(COMMAND ninja -C ${WORK} CMakeFiles/embetter.dir/${object}.o RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${object} does not compile in a build without the optional parts:\n${out}")
  endif()
endforeach()
file(READ ${WORK}/CMakeCache.txt cache)
foreach(option EMB_WITH_HUB:BOOL=OFF EMB_WITH_PLOT:BOOL=OFF)
  string(FIND "${cache}" "${option}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${option} is not in the cache")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
message(STATUS "the library configures and compiles its replacements without libcurl and cairo")
