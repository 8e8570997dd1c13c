/* SPDX-License-Identifier: GPL-2.0-only */
/* Text primitives every command shares: whole-string number parsing, "; "-separated notes, the nearest name. */
#ifndef AOD_TEXT_H
#define AOD_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* All of s as a decimal number up to UINT32_MAX, in strtoul's syntax (leading blanks, '+') but
 * refusing a leading '-', which strtoul would wrap. 0, -EINVAL (not a number, trailing text, a sign)
 * or -ERANGE (too large). Callers add their own bounds and say what the option wants. */
int text_parse_u32(const char *s, uint32_t *out);

/* Append to the note in buf (cap bytes, NUL-terminated), "; " between notes; a note that does not
 * fit is cut, never overrun. */
void text_note(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Edit distance (Levenshtein, ASCII case folded) between two short words (each cut at 127 bytes). */
unsigned int text_distance(const char *a, const char *b);

/* The candidate nearest to bad (the first of equals; NULL entries skipped), its distance in *dist;
 * NULL when there is none. Callers judge whether it is near enough to offer ("did you mean"). */
const char *text_nearest(const char *bad, const char *const *cands, size_t n, unsigned int *dist);

#endif /* AOD_TEXT_H */
