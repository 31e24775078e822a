/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pure helpers of fs/: how a view maps host paths to access, name checks. */
#include "pb-test.h"
#include "view-int.h"

#define RW (PB_ACCESS_READ | PB_ACCESS_WRITE)
#define T  PB_ACCESS_TRAVERSE

static struct pb_grants *table(void)
{
        struct pb_grants_builder *b = pb_grants_builder_new("app", 1);
        int home = pb_grants_builder_add_endpoint(b, "home", "home", false, true);
        int cam = pb_grants_builder_add_endpoint(b, "camera", "camera", false, true);
        pb_grants_builder_add_path(b, "/h/u", PB_ACCESS_READ, false, home);
        pb_grants_builder_add_path(b, "/h/u/[!.]*", RW, true, home);
        pb_grants_builder_add_device(b, "video[0-9]*", RW, cam);
        pb_grants_builder_add_device(b, "snd/pcm*", PB_ACCESS_READ, cam);
        return pb_grants_builder_finish(b);
}

static void test_path_view(struct pb_grants *g)
{
        struct pb_view v = {.kind = PB_VIEW_HOME, .host_root = "/h/u", .host_root_len = 4};
        PB_CHECK(pb_view_access(&v, g, "/h/u") == (PB_ACCESS_READ | T));
        PB_CHECK(pb_view_access(&v, g, "/h/u/Music") == RW);
        PB_CHECK(pb_view_access(&v, g, "/h/u/.ssh") == 0);
        /* Outside the view's root: nothing, whatever the table says. */
        PB_CHECK(pb_view_access(&v, g, "/h/ux/Music") == 0);
        PB_CHECK(pb_view_access(&v, g, "/h") == 0);
        struct pb_view root = {.kind = PB_VIEW_HOST, .host_root = "/", .host_root_len = 0};
        PB_CHECK(pb_view_access(&root, g, "/") == T);
        PB_CHECK(pb_view_access(&root, g, "/h/u/Music/x") == RW);
}

static void test_dev_view(struct pb_grants *g)
{
        struct pb_view v = {.kind = PB_VIEW_DEV, .host_root = "/dev", .host_root_len = 4};
        PB_CHECK(pb_view_access(&v, g, "/dev") == T);
        PB_CHECK(pb_view_access(&v, g, "/dev/video0") == RW);
        PB_CHECK(pb_view_access(&v, g, "/dev/kvm") == 0);
        PB_CHECK(pb_view_access(&v, g, "/dev/snd") == T);
        PB_CHECK(pb_view_access(&v, g, "/dev/snd/pcmC0D0p") == PB_ACCESS_READ);
        PB_CHECK(pb_view_access(&v, g, "/devx/video0") == 0);
}

static void test_names(void)
{
        PB_CHECK(pb_check_name("", EINVAL) == -EINVAL);
        PB_CHECK(pb_check_name(".", ENOENT) == -ENOENT);
        PB_CHECK(pb_check_name("..", EINVAL) == -EINVAL);
        PB_CHECK(pb_check_name("a/b", EINVAL) == -EINVAL);
        PB_CHECK(pb_check_name("...", EINVAL) == 0);
        PB_CHECK(pb_check_name(".hidden", EINVAL) == 0);
        char name[NAME_MAX + 2];
        memset(name, 'n', NAME_MAX);
        name[NAME_MAX] = '\0';
        PB_CHECK(pb_check_name(name, EINVAL) == 0);
        name[NAME_MAX] = 'n';
        name[NAME_MAX + 1] = '\0';
        PB_CHECK(pb_check_name(name, EINVAL) == -ENAMETOOLONG);
        char buf[16];
        PB_CHECK(pb_child_path(buf, sizeof(buf), "/", "a") == 0 && strcmp(buf, "/a") == 0);
        PB_CHECK(pb_child_path(buf, sizeof(buf), "/x", "a") == 0 && strcmp(buf, "/x/a") == 0);
        PB_CHECK(pb_child_path(buf, sizeof(buf), "/xxxxxxxxxx", "abcdef") == -ENAMETOOLONG);
        PB_CHECK(pb_view_kind_from_name("dev") == PB_VIEW_DEV);
        PB_CHECK(pb_view_kind_from_name("nope") == -1);
        PB_CHECK_STR(pb_view_kind_name(PB_VIEW_STATUS), "status");
}

int main(void)
{
        struct pb_grants *g = table();
        PB_CHECK(g != NULL);
        test_path_view(g);
        test_dev_view(g);
        test_names();
        pb_grants_unref(g);
        return pb_test_done();
}
