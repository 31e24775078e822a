/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The CLI's JSON scanner: structure, navigation, string decoding, refusal of
 * malformed text. */
#include "pb-test.h"
#include "jscan.h"

#include <stdlib.h>

static int parse(const char *s, struct pb_jdoc *d)
{
	return pb_jparse(s, strlen(s), d);
}

int main(void)
{
	struct pb_jdoc d;
	const char *doc = "{\"type\":\"sync\",\"result\":{\"established\":[{\"interface\":\"home\","
	                  "\"manual\":true,\"plug-attrs\":{\"x\":[1,{\"y\":null}]}},"
	                  "{\"interface\":\"c\\u00e9\\n\\\"q\\\"\",\"manual\":false}],"
	                  "\"plugs\":[],\"slots\":[ ]}}";
	PB_CHECK(parse(doc, &d) == 0);
	size_t res = pb_jget(&d, 0, "result");
	size_t est = pb_jget(&d, res, "established");
	PB_CHECK(est && d.tok[est].type == PB_J_ARRAY && d.tok[est].count == 2);
	size_t c0 = pb_jfirst(&d, est), c1 = pb_jnext(&d, c0);
	char *s = pb_jstrdup(&d, pb_jget(&d, c0, "interface"));
	PB_CHECK_STR(s, "home");
	free(s);
	PB_CHECK(pb_jtrue(&d, pb_jget(&d, c0, "manual")));
	PB_CHECK(!pb_jtrue(&d, pb_jget(&d, c1, "manual")));
	s = pb_jstrdup(&d, pb_jget(&d, c1, "interface"));
	PB_CHECK_STR(s, "c\xc3\xa9\n\"q\"");
	free(s);
	PB_CHECK(d.tok[pb_jget(&d, res, "plugs")].count == 0);
	PB_CHECK(d.tok[pb_jget(&d, res, "slots")].count == 0);
	PB_CHECK(pb_jget(&d, res, "missing") == 0);
	PB_CHECK(pb_jget(&d, est, "interface") == 0); /* not an object */
	pb_jfree(&d);

	PB_CHECK(parse("\"\\ud83d\\ude00\"", &d) == 0);
	s = pb_jstrdup(&d, 0);
	PB_CHECK(s == NULL); /* token 0 is never returned as a member */
	free(s);
	pb_jfree(&d);
	PB_CHECK(parse("[\"\\ud83d\\ude00\"]", &d) == 0);
	s = pb_jstrdup(&d, 1);
	PB_CHECK_STR(s, "\xf0\x9f\x98\x80");
	free(s);
	pb_jfree(&d);

	const char *bad[] = {"", "{", "[1,]x", "{\"a\" 1}", "{\"a\":}", "[1 2]", "\"\\x\"",
	                     "\"abc", "{\"a\":1,}x", "nul", "[]]", "\"\x01\"", "{1:2}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		PB_CHECK(parse(bad[i], &d) < 0);

	/* deep nesting is iterative: no stack overflow */
	size_t depth = 200000;
	char *deep = malloc(depth * 2 + 1);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[depth * 2] = '\0';
	PB_CHECK(parse(deep, &d) == 0 && d.n == depth);
	pb_jfree(&d);
	free(deep);
	/* In-place decoding: each string becomes its decoded, NUL-terminated
	 * self inside the caller's copy; the other tokens stay usable. */
	char rows[] = "{\"rows\":[[\"a\\u00e9\\\"b\",\"plain\",\"\\ud83d\\ude00\",\"\"]]}";
	PB_CHECK(pb_jparse(rows, strlen(rows), &d) == 0);
	size_t r = pb_jget(&d, 0, "rows"), row = pb_jfirst(&d, r), c = pb_jfirst(&d, row);
	PB_CHECK_STR(pb_jstr_inplace(&d, rows, c), "a\xc3\xa9\"b");
	c = pb_jnext(&d, c);
	PB_CHECK_STR(pb_jstr_inplace(&d, rows, c), "plain");
	c = pb_jnext(&d, c);
	PB_CHECK_STR(pb_jstr_inplace(&d, rows, c), "\xf0\x9f\x98\x80");
	c = pb_jnext(&d, c);
	PB_CHECK_STR(pb_jstr_inplace(&d, rows, c), "");
	PB_CHECK(pb_jstr_inplace(&d, rows, row) == NULL); /* not a string */
	PB_CHECK(pb_jget(&d, 0, "rows") == r);
	pb_jfree(&d);
	return pb_test_done();
}
