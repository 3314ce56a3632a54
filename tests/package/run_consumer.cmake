# CTest's package.ConsumerBuildsAgainstTheInstalledPackage: installs the
# build's dev component into a fresh prefix, configures and builds
# tests/package against it (find_package(embetter) and nothing from the
# source tree), then runs it on a fixture.
#   cmake -DBUILD=... -DSOURCE=... -DWORK=... -DFIXTURE=... -DCXX=... -P run_consumer.cmake
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix --component dev)
run(${CMAKE_COMMAND} -S ${SOURCE}/tests/package -B ${WORK}/build -G Ninja -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${WORK}/build/consumer ${FIXTURE})
