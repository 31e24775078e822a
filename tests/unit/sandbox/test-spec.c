/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The launch spec parser: valid specs round-trip, hostile ones are refused. */
#include "pb-test.h"
#include "spec.h"

static const char *good =
    "{\"snap\":\"hello\",\"revision\":\"x1\",\"app\":\"hello\",\"home\":\"/home/u\","
    "\"uid\":1000,\"gid\":1000,\"groups\":[1000,27],\"nofile\":777,\"argv\":[\"/snap/hello/x1/bin/hi\","
    "\"-x\"],\"env\":[\"A=b\"],\"snap-source\":\"/var/lib/plugboard/snaps/hello/x1\","
    "\"mounts\":[{\"source\":\"/run/v/home\",\"target\":\"/home/u\",\"kind\":\"rw\"},"
    "{\"source\":\"/run/s.sock\",\"target\":\"/run/snapd-snap.socket\",\"file\":true}]}";

static int parse(const char *j, struct pb_spec **s, struct pb_error *e)
{
        return pb_spec_parse(j, strlen(j), s, e);
}

static void bad(const char *from, const char *to)
{
        char buf[2048];
        const char *p = strstr(good, from);
        snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - good), good, to, p + strlen(from));
        struct pb_spec *s = NULL;
        struct pb_error e = {0};
        int r = parse(buf, &s, &e);
        PB_CHECK(r == -EINVAL && s == NULL && e.msg[0]);
}

int main(void)
{
        struct pb_spec *s = NULL;
        struct pb_error e = {0};
        PB_CHECK(parse(good, &s, &e) == 0);
        PB_CHECK(s && s->uid == 1000 && s->n_groups == 2 && s->groups[1] == 27);
        PB_CHECK_STR(s->argv[1], "-x");
        PB_CHECK(s->n_mounts == 2 && s->mounts[0].kind == PB_MOUNT_BIND_RW && s->mounts[1].file);
        char *j = pb_spec_to_json(s);
        struct pb_spec *s2 = NULL;
        PB_CHECK(j && parse(j, &s2, &e) == 0);
        PB_CHECK(s2 && strcmp(s2->mounts[1].target, "/run/snapd-snap.socket") == 0);
        PB_CHECK(s2 && !s2->mounts[1].optional && s2->argv[2] == NULL);
        PB_CHECK(s->nofile == 777 && s2 && s2->nofile == 777);
        free(j);
        pb_spec_free(s2);
        pb_spec_free(s);

        bad("\"uid\":1000", "\"uid\":-1");
        bad("\"nofile\":777", "\"nofile\":-1");
        bad("\"nofile\":777", "\"nofile\":\"777\"");
        bad("\"uid\":1000", "\"uid\":4294967295");
        bad("\"uid\":1000", "\"uid\":\"0\"");
        bad("/run/v/home", "/run/v/../etc");
        bad("/run/v/home", "run/v/home");
        bad("/run/v/home", "/run//v");
        bad("\"home\":\"/home/u\"", "\"home\":\"/\"");
        bad("\"snap\":\"hello\"", "\"snap\":\"../x\"");
        bad("\"snap\":\"hello\"", "\"snap\":\"-x\"");
        bad("/snap/hello/x1/bin/hi", "bin/hi");
        bad("\"kind\":\"rw\"", "\"kind\":\"suid\"");
        bad("/home/u\",\"kind", "/\",\"kind");

        const char *garbage[] = {"", "{", "[]", "null", "{\"snap\":1}", "{} trailing"};
        for (size_t i = 0; i < PB_ARRAY_SIZE(garbage); i++) {
                s = NULL;
                PB_CHECK(parse(garbage[i], &s, &e) < 0 && s == NULL);
        }
        PB_CHECK(pb_spec_path_ok("/") && pb_spec_path_ok("/a/b") && !pb_spec_path_ok("/a/") &&
                 !pb_spec_path_ok("/a/./b") && !pb_spec_path_ok(""));
        return pb_test_done();
}
