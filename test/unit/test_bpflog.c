// SPDX-License-Identifier: GPL-2.0-only
/* bpflog.c: libbpf's messages reach the log only at debug level; the first warning is kept. */
#include "../../src/log.c"
#include "../../src/bpflog.c"

#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "stderr_capture.h"

static int say(enum libbpf_print_level lvl, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bpflog_print(lvl, fmt, ap);
	va_end(ap);
	return r;
}

/* Run the three levels of libbpf message at AOD log level lvl; return what reached stderr. */
static const char *logged(enum log_level lvl, char *buf, size_t cap)
{
	struct stderr_capture c;

	stderr_capture_begin(&c);
	log_set_level(lvl);
	say(LIBBPF_WARN, "prog '%s': failed to attach: %d\n", "x", -1);
	say(LIBBPF_INFO, "info %d\n", 2);
	say(LIBBPF_DEBUG, "relo %d\n", 3);
	stderr_capture_end(&c, buf, cap);
	return buf;
}

int main(void)
{
	char buf[2048];

	CHECK(bpflog_install() != bpflog_print);
	CHECK(libbpf_set_print(bpflog_print) == bpflog_print);

	bpflog_mark();
	CHECK(bpflog_first_warning()[0] == '\0');
	logged(LOG_LVL_INFO, buf, sizeof(buf));
	CHECK(buf[0] == '\0');			/* quiet unless debugging */
	CHECK(!strcmp(bpflog_first_warning(), "prog 'x': failed to attach: -1"));

	say(LIBBPF_WARN, "second\n");
	CHECK(!strcmp(bpflog_first_warning(), "prog 'x': failed to attach: -1"));	/* the first stays */
	bpflog_mark();
	say(LIBBPF_INFO, "an info is not a warning\n");
	CHECK(bpflog_first_warning()[0] == '\0');

	logged(LOG_LVL_DEBUG, buf, sizeof(buf));
	CHECK(strstr(buf, "aod debug: libbpf: prog 'x': failed to attach: -1\n") != NULL);
	CHECK(strstr(buf, "libbpf: info 2\n") != NULL);
	CHECK(strstr(buf, "relo 3") == NULL);	/* libbpf's own debug level stays out */
	{
		struct stderr_capture c;

		stderr_capture_begin(&c);
		say(LIBBPF_WARN, "libbpf: %s\n", "prefixed by libbpf");
		stderr_capture_end(&c, buf, sizeof(buf));
		CHECK(strstr(buf, "aod debug: libbpf: prefixed by libbpf\n") != NULL);	/* not "libbpf: libbpf:" */
	}
	return CHECK_DONE();
}
