/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The grant table's matching rules (policy/grants.h). */
#include "grants.h"
#include "pb-test.h"

#include <errno.h>
#include <stdbool.h>

#define RW (PB_ACCESS_READ | PB_ACCESS_WRITE)
#define R  PB_ACCESS_READ
#define T  PB_ACCESS_TRAVERSE

static void test_glob(void)
{
#define G(p, s) pb_glob_match(p, strlen(p), s, strlen(s))
        PB_CHECK(G("*", "abc"));
        PB_CHECK(G("*", ""));
        PB_CHECK(G("video[0-9]*", "video0"));
        PB_CHECK(G("video[0-9]*", "video12"));
        PB_CHECK(!G("video[0-9]*", "videox"));
        PB_CHECK(!G("video[0-9]*", "video"));
        PB_CHECK(G("[!.]*", "Music"));
        PB_CHECK(!G("[!.]*", ".ssh"));
        PB_CHECK(!G("[!.]*", ""));
        PB_CHECK(G("tty[A-Z]*[0-9]", "ttyUSB0"));
        PB_CHECK(G("?", "a"));
        PB_CHECK(!G("?", "ab"));
        PB_CHECK(!G("[abc", "a"));
        PB_CHECK(G("a*b*c", "axxbyyc"));
        PB_CHECK(!G("a*b*c", "axxbyy"));
#undef G
}

/* A home plug plus the snap's own directories, as the compiler emits them. */
static struct pb_grants *home_table(bool home_connected, bool personal_connected)
{
        struct pb_grants_builder *b = pb_grants_builder_new("vlc", 7);
        int home = pb_grants_builder_add_endpoint(b, "home", "home", false, home_connected);
        int pf = pb_grants_builder_add_endpoint(b, "dot-vlc", "personal-files", false,
                                                personal_connected);
        int cam = pb_grants_builder_add_endpoint(b, "camera", "camera", false, false);
        int rec = pb_grants_builder_add_endpoint(b, "audio-record", "audio-record", false, true);
        PB_CHECK(pb_grants_builder_add_path(b, "/home/al/snap/vlc/x1", RW, true, -1) == 0);
        PB_CHECK(pb_grants_builder_add_path(b, "/home/al/snap/vlc/common", RW, true, -1) == 0);
        PB_CHECK(pb_grants_builder_add_path(b, "/home/al", R, false, home) == 0);
        PB_CHECK(pb_grants_builder_add_path(b, "/home/al/[!.]*", RW, true, home) == 0);
        PB_CHECK(pb_grants_builder_add_path(b, "/home/al/snap", R, false, home) == 0);
        PB_CHECK(pb_grants_builder_add_path(b, "/home/al/snap/*", 0, true, home) == 0);
        PB_CHECK(pb_grants_builder_add_path(b, "/home/al/.vlc", RW, true, pf) == 0);
        PB_CHECK(pb_grants_builder_add_device(b, "video[0-9]*", RW, cam) == 0);
        PB_CHECK(pb_grants_builder_add_service(b, PB_SERVICE_AUDIO_RECORD, rec) == 0);
        PB_CHECK(pb_grants_builder_add_path(b, "relative", R, false, -1) == -EINVAL);
        PB_CHECK(pb_grants_builder_add_path(b, "/a/../b", R, false, -1) == -EINVAL);
        PB_CHECK(pb_grants_builder_add_path(b, "/a//b", R, false, -1) == -EINVAL);
        PB_CHECK(pb_grants_builder_add_path(b, "/a", R, false, 99) == -EINVAL);
        struct pb_grants *g = pb_grants_builder_finish(b);
        PB_CHECK(g != NULL);
        return g;
}

static void test_home(void)
{
        struct pb_grants *g = home_table(true, false);
        PB_CHECK(pb_grants_generation(g) == 7);
        PB_CHECK_STR(pb_grants_snap(g), "vlc");
        PB_CHECK(pb_grants_path(g, "/home/al/Music") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/Music/a/b.ogg") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al") == (R | T));
        PB_CHECK(pb_grants_path(g, "/home") == T);
        PB_CHECK(pb_grants_path(g, "/") == T);
        PB_CHECK(pb_grants_path(g, "/home/al/.ssh") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al/.ssh/id_rsa") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al/snap") == (R | T));
        PB_CHECK(pb_grants_path(g, "/home/al/snap/other") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/other/x1/f") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc") == T);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc/x1") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc/common/db") == RW);
        PB_CHECK(pb_grants_path(g, "/home/alx") == 0);
        PB_CHECK(pb_grants_path(g, "/etc/passwd") == 0);
        PB_CHECK(pb_grants_device(g, "video0") == 0);
        PB_CHECK(!pb_grants_service(g, PB_SERVICE_X11));
        PB_CHECK(pb_grants_service(g, PB_SERVICE_AUDIO_RECORD));

        const struct pb_grants_endpoint *e = pb_grants_path_would_grant(g, "/home/al/.vlc/x", RW);
        PB_CHECK(e && strcmp(e->name, "dot-vlc") == 0 && !e->connected);
        PB_CHECK(pb_grants_path_would_grant(g, "/home/al/.ssh", PB_ACCESS_READ) == NULL);
        e = pb_grants_device_would_grant(g, "video3", PB_ACCESS_READ);
        PB_CHECK(e && strcmp(e->interface, "camera") == 0);
        PB_CHECK(pb_grants_find_endpoint(g, "camera") && !pb_grants_find_endpoint(g, "nope"));
        PB_CHECK(pb_grants_endpoint_count(g) == 4);

        size_t n = pb_grants_path_root_count(g);
        PB_CHECK(n == 6);
        PB_CHECK_STR(pb_grants_path_root(g, 3)->prefix, "/home/al");
        PB_CHECK(pb_grants_path_root(g, 3)->connected);
        PB_CHECK_STR(pb_grants_path_root(g, 5)->prefix, "/home/al/.vlc");
        PB_CHECK(!pb_grants_path_root(g, 5)->connected);
        pb_grants_unref(g);
}

static void test_disconnected(void)
{
        struct pb_grants *g = home_table(false, true);
        PB_CHECK(pb_grants_path(g, "/home/al/Music") == 0);
        /* Only the way to the snap's own data and to the personal file. */
        PB_CHECK(pb_grants_path(g, "/home/al") == T);
        PB_CHECK(pb_grants_path(g, "/home/al/snap") == T);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc/x1/a") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/.vlc/cfg") == RW);
        const struct pb_grants_endpoint *e = pb_grants_path_would_grant(g, "/home/al/Music", R);
        PB_CHECK(e && strcmp(e->name, "home") == 0);
        struct pb_grants *r = pb_grants_ref(g);
        PB_CHECK(r == g);
        pb_grants_unref(r);
        pb_grants_unref(g);
}

/* Names a listing may meet: plain, hidden, the snap's own, globs' edges. */
static const char *const child_names[] = {"Music", ".ssh", ".vlc", "snap", "vlc", "x1",
                                          "common", "a", "*", "[!.]*", "...", "x1 (deleted)"};

/* Where children_alike says yes, every name must get the same bits. */
static void check_alike_is_true(const struct pb_grants *g, const char *dir)
{
        char path[256];
        unsigned first = 0;
        for (size_t i = 0; i < sizeof(child_names) / sizeof(*child_names); i++) {
                snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", child_names[i]);
                unsigned a = pb_grants_path(g, path);
                if (i == 0)
                        first = a;
                if (a != first)
                        printf("# %s gets %u, %s/%s gets %u\n", path, a, dir, child_names[0],
                               first);
                PB_CHECK(a == first);
        }
}

static void test_children_alike(void)
{
        static const char *const dirs[] = {"/", "/home", "/home/al", "/home/al/Music",
                                           "/home/al/Music/a/b", "/home/al/snap",
                                           "/home/al/snap/vlc", "/home/al/snap/vlc/x1",
                                           "/home/al/snap/other", "/home/al/.vlc", "/etc"};
        for (int conn = 0; conn < 4; conn++) {
                struct pb_grants *g = home_table(conn & 1, conn & 2);
                for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
                        if (pb_grants_children_alike(g, dirs[i]))
                                check_alike_is_true(g, dirs[i]);
                /* Name-dependent places are never called alike. */
                PB_CHECK(!pb_grants_children_alike(g, "/home/al/snap"));
                PB_CHECK(!pb_grants_children_alike(g, "/home/al/snap/vlc"));
                PB_CHECK(!pb_grants_children_alike(g, "/home"));
                PB_CHECK(pb_grants_children_alike(g, "/etc"));
                PB_CHECK(pb_grants_children_alike(g, "/home/al/snap/vlc/x1"));
                /* Hidden names and the snap's own directory are decided
                 * by name in home, connected or not. */
                PB_CHECK(!pb_grants_children_alike(g, "/home/al"));
                PB_CHECK(pb_grants_children_alike(g, "/home/al/Music"));
                pb_grants_unref(g);
        }
}

int main(void)
{
        test_glob();
        test_home();
        test_disconnected();
        test_children_alike();
        return pb_test_done();
}
