/* SPDX-License-Identifier: GPL-2.0-only */
/* Proof that aod's running loop does not allocate: the --host build wraps malloc and counts calls. */
#ifndef AOD_MALLOC_GUARD_H
#define AOD_MALLOC_GUARD_H

#ifdef AOD_HOST_BUILD
void malloc_guard_arm(void);		/* startup is over: count from here */
void malloc_guard_pause(void);		/* a library allowed to allocate runs (libyaml on HUP) */
void malloc_guard_resume(void);
/* With AOD_MALLOC_REPORT=1, print "malloc-guard: WHAT: N allocations after startup" to stderr. */
void malloc_guard_report(const char *what);
#else
#include "startup_heap.h"

/* startup is over: the startup heap gives back what it kept (startup_heap.h) */
static inline void malloc_guard_arm(void) { startup_heap_end(); }
static inline void malloc_guard_pause(void) {}
static inline void malloc_guard_resume(void) {}
static inline void malloc_guard_report(const char *what) { (void)what; }
#endif

#endif /* AOD_MALLOC_GUARD_H */
