# Fails if a level's object files define a weak (W, V) or unique (u) symbol
# outside emb::cpu::<level>:: (and its own vec8 namespace). cmake -P with
# LEVEL, OBJECTS (;-list) and NM.
set(bad "")
foreach(object ${OBJECTS})
  execute_process(COMMAND ${NM} --defined-only -C ${object} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm failed on ${object}")
  endif()
  string(REPLACE "\n" ";" lines "${symbols}")
  foreach(line ${lines})
    if(line MATCHES "^[0-9a-f]+ [WVu] (.*)$")
      set(name "${CMAKE_MATCH_1}")
      # The level's own namespace; guard variables and vtables of it too.
      # DW.ref.__gxx_personality_v0 is a pointer to the C++ runtime's
      # exception routine, not code built with the level's flags (instrumented
      # builds, -fsanitize, emit it in every object that can throw).
      if(NOT name MATCHES "emb::cpu::${LEVEL}::" AND NOT name STREQUAL "DW.ref.__gxx_personality_v0")
        string(APPEND bad "\n  ${object}: ${name}")
      endif()
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "level ${LEVEL}: shared (weak) symbols compiled with the level's flags:${bad}")
endif()
message(STATUS "level ${LEVEL}: no weak symbol outside emb::cpu::${LEVEL}")
