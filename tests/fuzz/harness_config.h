/* One fuzz iteration over the config module, shared by the libFuzzer target (clang) and
 * the corpus replay test (any compiler). */
#ifndef GAITLAB_FUZZ_HARNESS_CONFIG_H
#define GAITLAB_FUZZ_HARNESS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* Input: YAML text. Lines starting with "#--set " (YAML comments, so the text stays valid)
 * are also applied as overrides. Aborts when an invariant breaks: a non-GL_ERR_INPUT
 * error, a multi-line or unmarked message, an emit -> parse round trip that fails or
 * changes the document, or a bind whose values differ after the round trip. */
void glc_fuzz_one(const uint8_t *data, size_t size);

#endif
