/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Component glob matcher. Our own rather than fnmatch(3): it must not
 * allocate (it runs on every FUSE request), it works on length-delimited
 * components of a larger path, and its syntax is small enough to read in one
 * screen: '*' any run, '?' one byte, '[...]' a set with ranges and '!' or '^'
 * negation. No escapes: interface data never needs them.
 */
#include "grants.h"

static bool match_set(const char *pat, size_t plen, size_t *pi, char c)
{
	size_t i = *pi + 1;
	bool negate = false, found = false;
	if (i < plen && (pat[i] == '!' || pat[i] == '^')) {
		negate = true;
		i++;
	}
	size_t first = i;
	for (; i < plen && (pat[i] != ']' || i == first); i++) {
		if (i + 2 < plen && pat[i + 1] == '-' && pat[i + 2] != ']') {
			if (c >= pat[i] && c <= pat[i + 2])
				found = true;
			i += 2;
		} else if (pat[i] == c) {
			found = true;
		}
	}
	*pi = i; /* at ']' or plen (an unclosed set matches nothing) */
	if (i >= plen)
		return false;
	return found != negate;
}

bool pb_glob_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0;
	size_t star_p = (size_t)-1, star_s = 0;
	while (si < slen) {
		if (pi < plen && pat[pi] == '*') {
			star_p = pi++;
			star_s = si;
			continue;
		}
		if (pi < plen && pat[pi] == '?') {
			pi++;
			si++;
			continue;
		}
		if (pi < plen && pat[pi] == '[') {
			size_t end = pi;
			if (match_set(pat, plen, &end, s[si])) {
				pi = end + 1;
				si++;
				continue;
			}
		} else if (pi < plen && pat[pi] == s[si]) {
			pi++;
			si++;
			continue;
		}
		if (star_p == (size_t)-1)
			return false;
		pi = star_p + 1;
		si = ++star_s;
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}
