# pdb_module(<name> DIRS <subdirs...> DEPS <targets...>)
# One static library from every *.cc in the listed folders of the current
# source dir (or the folder itself when DIRS is empty). Headers are included
# by their path from src/ ("storage/wal/wal_writer.h").
function(pdb_module name)
  cmake_parse_arguments(M "" "" "DIRS;DEPS" ${ARGN})
  set(srcs)
  if(M_DIRS)
    foreach(d ${M_DIRS})
      file(GLOB s CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${d}/*.cc)
      list(APPEND srcs ${s})
    endforeach()
  else()
    file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  endif()
  list(FILTER srcs EXCLUDE REGEX ".*/main\\.cc$")
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src
                                            ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${M_DEPS})
endfunction()
