/* A readable reference kernel for example plugins: fp32 online softmax, one query row
 * at a time, rows spread over c->n_threads POSIX threads. Plain C99. */
#ifndef FLASHCHECK_EXAMPLE_KERNEL_H
#define FLASHCHECK_EXAMPLE_KERNEL_H

#include "flashcheck/backend.h"

/* Computes O (and the LSE when fill_lse) for the case; returns an fc_status and writes
 * a message into out->error on failure. */
int example_attention(const fc_case* c, fc_output* out, int fill_lse);

/* Writes a message into out->error (truncated to its size). */
void example_set_error(fc_output* out, const char* message);

#endif
