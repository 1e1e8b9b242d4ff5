# Run one example program on data it can use; prints "SKIP: reason" (ctest
# marks the test skipped) when that data is absent.
# -DEXAMPLE=binary -DNAME=example -DDATA=shared data -DSRC=examples/ -DWORK=dir
# -DSYN=synthetic fingerprints (see CMakeLists.txt) -DMODELS=default face models
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(run expect)
  execute_process(COMMAND ${EXAMPLE} ${ARGN} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " args "${ARGN}")
  message("$ ${NAME} ${args}\n${out}${err}-> exit ${rc}")
  if("${err}" MATCHES "not built into this library")
    message("SKIP: this libhotspot was built without the feature (HOTSPOT_WITH_OPENCV=OFF?)")
    set(skipped 1 PARENT_SCOPE)
    return()
  endif()
  if(NOT rc MATCHES "^(${expect})$")
    message(FATAL_ERROR "${NAME}: exit ${rc}, expected ${expect}")
  endif()
endfunction()

set(fvc ${DATA}/fingerprint/FVC2002_DB1_B)
set(syn ${SYN})   # made by the examples_synth_data test (fixture)
if(NAME STREQUAL "enroll_and_verify")
  run(2)                                            # usage error
  run(2 ${WORK}/missing.png ${WORK}/missing.png)     # bad file: an error, not a crash
  run(0 ${syn}/101_1.png ${syn}/101_2.png)           # same synthetic finger
  run(1 ${syn}/101_1.png ${syn}/102_1.png)           # different fingers
  if(EXISTS ${fvc}/101_1.tif)
    run("0|1" ${fvc}/101_1.tif ${fvc}/101_2.tif)     # real prints: decision not asserted
  endif()
elseif(NAME STREQUAL "iso_convert")
  # examples/data/synthetic.hst: a generated template (not biometric data).
  run(0 ${SRC}/data/synthetic.hst ${WORK}/t.iso iso19794-2)
  run(0 ${WORK}/t.iso ${WORK}/t.ansi ansi378)
  run(0 ${WORK}/t.ansi ${WORK}/t.hst hst)
  run(2 ${WORK}/t.iso ${WORK}/x nosuchformat)
  file(WRITE ${WORK}/junk.iso "not a template")
  run(1 ${WORK}/junk.iso ${WORK}/y.iso)
elseif(NAME STREQUAL "face_compare")
  run(2)
  set(model ${DATA}/face/models/fr_feature.onnx)   # ArcFace-style 512-d
  set(att ${DATA}/face/att_faces)
  if(NOT EXISTS ${model} OR NOT EXISTS ${att}/s1/1.pgm)
    message("SKIP: no face model ${model} or no AT&T images under ${att}")
    return()
  endif()
  run(0 ${model} ${att}/s1/1.pgm ${att}/s1/2.pgm)     # same person
  if(NOT skipped)
    run(1 ${model} ${att}/s1/1.pgm ${att}/s2/1.pgm)   # different people
  endif()
  # Two images only: the default models (tools/setup.sh's cache).
  if(NOT skipped AND EXISTS ${MODELS}/fr_feature.onnx)
    set(ENV{HOTSPOT_FACE_MODELS} ${MODELS})
    run(0 ${att}/s1/1.pgm ${att}/s1/2.pgm)
    run(1 ${att}/s1/1.pgm ${att}/s2/1.pgm)
  elseif(NOT skipped)
    message("default face models not in '${MODELS}' (run tools/setup.sh): that part skipped")
  endif()
elseif(NAME STREQUAL "watchlist_search")
  run(2)
  run(0 ${syn}/102_2.png ${syn}/101_1.png ${syn}/102_1.png ${syn}/103_1.png)
  run(2 ${WORK}/missing.png ${syn}/101_1.png)
else()
  run(0)
endif()
