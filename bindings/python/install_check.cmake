# Install the build into a scratch prefix and import hotspot from there, from
# another directory, with no PYTHONPATH to the build tree: what a user gets
# from `cmake --install`.
# -DBUILD_DIR -DWORK -DPYTHON -DSITE (relative install dir)
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
if(NOT EXISTS ${WORK}/prefix/${SITE}/hotspot/__init__.py)
  message(FATAL_ERROR "hotspot package not installed under ${WORK}/prefix/${SITE}")
endif()
set(ENV{PYTHONPATH} ${WORK}/prefix/${SITE})
# Run the Python code (sys.argv[1] is the prefix) from WORK; fail naming what.
function(check_import what code)
  execute_process(COMMAND ${PYTHON} -c "${code}" ${WORK}/prefix WORKING_DIRECTORY ${WORK}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "installed ${what} module does not import")
  endif()
endfunction()
check_import(hotspot
  "import hotspot, sys; assert hotspot.__file__.startswith(sys.argv[1]), hotspot.__file__; print(hotspot.__version__, hotspot.__file__); hotspot.Image(8, 8).encode('png')")
# hotspot.cluster (when libhotspot-cluster is built) finds the installed
# libhotspot-cluster through its RUNPATH, with no LD_LIBRARY_PATH.
if(EXISTS ${WORK}/prefix/${SITE}/hotspot/cluster.py)
  check_import(hotspot.cluster
    "import hotspot.cluster as c, sys; assert c.__file__.startswith(sys.argv[1]), c.__file__; assert 1 <= c.shard_of('P-1', 4) <= 4")
endif()
