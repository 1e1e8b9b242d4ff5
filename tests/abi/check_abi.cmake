# The exported ABI, checked three ways (run by the abi_symbols test):
#  1. every function declared HS_API in include/hotspot/*.h is exported, and
#     nothing else is (no hs__ internals, no unprefixed names);
#  2. every exported symbol carries the version node lib/hotspot.map gives it
#     (a new function with no node stays local and fails check 1);
#  3. the exported (node, name) pairs equal tests/abi/symbols.txt, the
#     committed record: an addition or removal is always a reviewed change.
# After an intended addition, list the name in a node of lib/hotspot.map and
# regenerate the record with:
#   nm -D --defined-only --with-symbol-versions build/libhotspot.so \
#     | awk '$3 ~ /^hs_/ {split($3, a, "@@"); print a[2], a[1]}' | sort -k2 \
#     > tests/abi/symbols.txt
#
# The same script checks libhotspot-cluster (test abi_symbols_cluster) with
# -DMACRO=HS_CLUSTER_API -DPREFIX=^hs_cluster_ -DHEADERS=<one header file>.
if(NOT MACRO)
  set(MACRO HS_API)
endif()
if(NOT PREFIX)
  set(PREFIX "^hs_[a-z]")
endif()
execute_process(COMMAND nm -D --defined-only --with-symbol-versions ${LIB}
                OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(exported "")
set(pairs "")
foreach(l ${lines})
  if(l MATCHES "^[0-9a-fA-F]+ [TDBRVWi] ([A-Za-z0-9_.]+)(@@?([A-Za-z0-9_.]+))?$")
    set(s ${CMAKE_MATCH_1})
    set(node "${CMAKE_MATCH_3}")
    if(s MATCHES "^HOTSPOT_")
      continue()
    endif()
    if(NOT s MATCHES "${PREFIX}")
      message(SEND_ERROR "exported symbol without the ${PREFIX} prefix (or internal hs__): ${s}")
    endif()
    if(node STREQUAL "")
      message(SEND_ERROR "exported symbol without a version node: ${s}")
    endif()
    list(APPEND exported ${s})
    list(APPEND pairs "${node} ${s}")
  endif()
endforeach()
list(REMOVE_DUPLICATES exported)

# 1. headers
if(IS_DIRECTORY ${HEADERS})
  file(GLOB headers ${HEADERS}/*.h)
else()
  set(headers ${HEADERS})
endif()
# testing.h declares the hooks only HOTSPOT_TESTING builds export.
if(NOT TESTING_LIST)
  list(FILTER headers EXCLUDE REGEX "/testing\\.h$")
endif()
set(declared "")
foreach(h ${headers})
  file(READ ${h} text)
  string(REGEX MATCHALL "${MACRO}[^;(]*[ *](hs_[a-z0-9_]+)[ \t\n]*\\(" decls "${text}")
  foreach(d ${decls})
    string(REGEX REPLACE ".*[ *](hs_[a-z0-9_]+)[ \t\n]*\\($" "\\1" name "${d}")
    list(APPEND declared ${name})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES declared)
set(unexported ${declared})
list(REMOVE_ITEM unexported ${exported})
set(undeclared ${exported})
list(REMOVE_ITEM undeclared ${declared})
if(unexported)
  message(SEND_ERROR "declared ${MACRO} but not exported (no node in lib/hotspot.map?): ${unexported}")
endif()
if(undeclared)
  message(SEND_ERROR "exported but declared in no public header: ${undeclared}")
endif()

# 3. the committed record
file(STRINGS ${LIST} expected)
if(TESTING_LIST)
  file(STRINGS ${TESTING_LIST} testing)
  list(APPEND expected ${testing})
endif()
list(SORT expected)
list(SORT pairs)
set(missing ${expected})
list(REMOVE_ITEM missing ${pairs})
set(extra ${pairs})
list(REMOVE_ITEM extra ${expected})
if(missing OR extra)
  message(FATAL_ERROR "ABI mismatch with tests/abi/symbols.txt.\n  missing from library: ${missing}\n  not in the record: ${extra}")
endif()
list(LENGTH pairs n)
message(STATUS "ABI ok: ${n} symbols, each in its version node")
