# Plugins (--plugin) and the ggml adapter (--with-ggml) for the commands that take backends.
target_sources(flashcheck_cli_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR}/extra_backends.cpp)
target_link_libraries(flashcheck_cli_lib PUBLIC flashcheck_plugin_host PRIVATE flashcheck_ggml_location flashcheck_impls)
