# Helpers that give every target of ours the same warnings and sanitizers.
# Library headers are system headers (they live in /usr/include), so
# warnings-as-errors applies to our own code only.

set(LEKHIKA_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wold-style-cast -Wcast-align -Wmisleading-indentation -Wduplicated-cond
  -Wlogical-op -Wimplicit-fallthrough -Wnull-dereference -Wformat=2 -Werror)

function(lekhika_target_options target)
  target_compile_options(${target} PRIVATE ${LEKHIKA_WARNINGS})
  if(LEKHIKA_SANITIZE)
    list(JOIN LEKHIKA_SANITIZE "," _san)
    target_compile_options(${target} PRIVATE -fsanitize=${_san} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=${_san})
    if("thread" IN_LIST LEKHIKA_SANITIZE)
      # Asio (inside RESTinio) uses std::atomic_thread_fence, which GCC 12 flags
      # under -fsanitize=thread; the fence is in a system header we cannot change,
      # and -Werror would turn that notice into a failed build.
      target_compile_options(${target} PRIVATE -Wno-tsan)
    endif()
  endif()
endfunction()

# lekhika_library(<folder> DEPENDS ... PRIVATE_DEPENDS ...) defines lekhika_<folder> from
# <folder>/src/*.cpp, with <folder>/include as its only public include directory.
function(lekhika_library folder)
  cmake_parse_arguments(ARG "" "" "DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  set(target lekhika_${folder})
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp")
  if(NOT sources)
    return()
  endif()
  add_library(${target} STATIC ${sources})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE_DEPENDS})
  lekhika_target_options(${target})
endfunction()
