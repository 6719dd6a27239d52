/*
 * test/sanitize/preload.c: preloaded (after libasan, before libubsan) into
 * the sanitized cluster by run.sh (see README.md).  Two work-arounds for
 * running gcc's sanitizer runtimes in PostgreSQL's uninstrumented binary.
 *
 * 1. swift_demangle.  libasan initialises lazily, on the first malloc.  On
 *    Debian 12 that first malloc comes from the constructor of libgpg-error
 *    (libsystemd -> libgcrypt -> libgpg-error), inside bindtextdomain(), which
 *    holds glibc's _nl_state_lock for writing.  ASan's initialisation looks up
 *    the optional symbol "swift_demangle" and, when it is missing, calls
 *    dlerror(), whose dcgettext() takes and releases the same lock: the lock
 *    is corrupted and "postgres -V" (so pg_ctl start) hangs for ever.  With
 *    the symbol defined the lookup succeeds and dlerror() is never called.
 *    ASan calls it only to demangle Swift names; NULL means "not Swift".
 *
 * 2. __ubsan_default_options.  libubsan reads UBSAN_OPTIONS lazily, at the
 *    first report, from /proc/self/environ; by then PostgreSQL has written
 *    its process title over that memory, so UBSan would ignore
 *    abort_on_error and print_stacktrace.  libubsan asks this hook for its
 *    defaults; it answers with UBSAN_OPTIONS as saved at process start.
 *    (log_path still has no effect on UBSan: libubsan passes it on through
 *    __sanitizer_set_report_path, which resolves to libasan's copy, so UBSan
 *    reports go to stderr, that is the server log, where run.sh counts them.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char	   *swift_demangle(const char *name, size_t len, char *out,
						   size_t *outlen, uint32_t flags);
const char *__ubsan_default_options(void);

static char ubsan_options[4096];

__attribute__((constructor))
static void
save_ubsan_options(void)
{
	const char *s = getenv("UBSAN_OPTIONS");

	if (s != NULL && strlen(s) < sizeof(ubsan_options))
		strcpy(ubsan_options, s);
}

const char *
__ubsan_default_options(void)
{
	return ubsan_options;
}

char *
swift_demangle(const char *name, size_t len, char *out, size_t *outlen,
			   uint32_t flags)
{
	(void) name;
	(void) len;
	(void) out;
	(void) outlen;
	(void) flags;
	return NULL;
}
