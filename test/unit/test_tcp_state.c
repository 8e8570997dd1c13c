// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the TCP state names: the kernel's, every one, and the same for monitor and trace. */
#include <string.h>

#include "../../src/tcp_state.c"
#include "check.h"

int main(void)
{
	/* include/net/tcp_states.h */
	static const char *const kernel[] = {
		NULL, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
		"CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE",
	};
	unsigned s;

	for (s = 1; s < sizeof(kernel) / sizeof(kernel[0]); s++)
		CHECK(!strcmp(tcp_state_name(s), kernel[s]));
	/* monitor's old table stopped at CLOSING and printed "?" for these two */
	CHECK(!strcmp(tcp_state_name(12), "NEW_SYN_RECV"));
	CHECK(!strcmp(tcp_state_name(13), "BOUND_INACTIVE"));
	CHECK(!strcmp(tcp_state_name(0), "UNKNOWN"));
	CHECK(!strcmp(tcp_state_name(14), "UNKNOWN"));
	CHECK(!strcmp(tcp_state_name(~0u), "UNKNOWN"));
	return CHECK_DONE();
}
