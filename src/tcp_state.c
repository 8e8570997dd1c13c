// SPDX-License-Identifier: GPL-2.0-only
/* The one TCP state table, for aod monitor's retransmit lines and aod trace's state changes. */
#include "tcp_state.h"

const char *tcp_state_name(unsigned state)
{
	/* The kernel's enum; NEW_SYN_RECV is 4.4's request socket, BOUND_INACTIVE 6.8's bound-not-listening. */
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV", [4] = "FIN_WAIT1", [5] = "FIN_WAIT2",
		[6] = "TIME_WAIT", [7] = "CLOSE", [8] = "CLOSE_WAIT", [9] = "LAST_ACK", [10] = "LISTEN",
		[11] = "CLOSING", [12] = "NEW_SYN_RECV", [13] = "BOUND_INACTIVE",
	};

	return state < sizeof(names) / sizeof(names[0]) && names[state] ? names[state] : "UNKNOWN";
}
