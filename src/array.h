/* SPDX-License-Identifier: GPL-2.0-only */
/* The one ARRAY_SIZE: the number of elements of an array (an array, not a pointer to one). */
#ifndef AOD_ARRAY_H
#define AOD_ARRAY_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* AOD_ARRAY_H */
