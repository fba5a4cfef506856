/* Callgrind client requests for benchmarks/instructions.py, called through ctypes.
 *
 * The requests are inline-asm macros (valgrind/callgrind.h), so Python cannot issue them
 * itself: instructions.py compiles this file with gcc into a temporary shared library.
 * Outside valgrind every request is a no-op.
 */
#include <valgrind/callgrind.h>

int glc_running_on_valgrind(void) { return RUNNING_ON_VALGRIND; }

void glc_start_instrumentation(void) { CALLGRIND_START_INSTRUMENTATION; }

/* Collection on/off: a region's instructions are counted between two toggles. */
void glc_toggle_collect(void) { CALLGRIND_TOGGLE_COLLECT; }

void glc_zero(void) { CALLGRIND_ZERO_STATS; }

/* Write what was counted since the last dump (or zero) as a part named `name`, and zero. */
void glc_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
