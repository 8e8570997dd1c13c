/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP state names as the kernel's include/net/tcp_states.h spells them (without TCP_). */
#ifndef AOD_TCP_STATE_H
#define AOD_TCP_STATE_H

/* "ESTABLISHED" for 1 ... "BOUND_INACTIVE" for 13; "UNKNOWN" for anything else. */
const char *tcp_state_name(unsigned state);

#endif /* AOD_TCP_STATE_H */
