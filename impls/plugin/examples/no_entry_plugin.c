/* A shared library that is no flashcheck plugin: it exports no flashcheck_plugin()
 * function, which flashcheck reports (exit status 2) instead of loading it. */
__attribute__((visibility("default"))) int not_a_flashcheck_plugin(void) { return 42; }
