/* SPDX-License-Identifier: GPL-3.0-or-later */
/* meta/snap.yaml parsing: every shorthand form and the errors (policy/snap.h). */
#include "pb-test.h"
#include "snap.h"

static struct pb_snap_info *parse(const char *y, struct pb_perror *e)
{
        memset(e, 0, sizeof(*e));
        return pb_snap_info_parse("meta/snap.yaml", y, strlen(y), e);
}

static void test_forms(void)
{
        struct pb_perror e;
        struct pb_snap_info *s = parse("name: vlc\n"
                                       "version: '3.0'\n"
                                       "summary: media player\n"
                                       "plugs:\n"
                                       "  home: null\n"
                                       "  cam: camera\n"
                                       "  dot-vlc:\n"
                                       "    interface: personal-files\n"
                                       "    label: VLC settings\n"
                                       "    write: [$HOME/.vlc]\n"
                                       "    count: 3\n"
                                       "    flag: true\n"
                                       "    quoted: 'true'\n"
                                       "slots:\n"
                                       "  - mpris\n"
                                       "apps:\n"
                                       "  vlc:\n"
                                       "    command: bin/vlc\n"
                                       "    plugs: [x11, home]\n"
                                       "  cli:\n"
                                       "    command: bin/cvlc\n",
                                       &e);
        PB_CHECK(s != NULL);
        if (!s) {
                printf("# %s\n", e.msg);
                return;
        }
        PB_CHECK_STR(s->name, "vlc");
        PB_CHECK_STR(s->version, "3.0");
        PB_CHECK_STR(s->type, "app");
        PB_CHECK_STR(s->confinement, "strict");
        PB_CHECK(s->n_plugs == 4);
        const struct pb_snap_endpoint *p = pb_snap_info_plug(s, "home");
        PB_CHECK(p && strcmp(p->interface, "home") == 0 && p->n_apps == 2);
        p = pb_snap_info_plug(s, "cam");
        PB_CHECK(p && strcmp(p->interface, "camera") == 0);
        p = pb_snap_info_plug(s, "dot-vlc");
        PB_CHECK(p && strcmp(p->interface, "personal-files") == 0);
        PB_CHECK(p && p->label && strcmp(p->label, "VLC settings") == 0);
        PB_CHECK_STR(
            p ? json_object_to_json_string_ext(p->attrs, JSON_C_TO_STRING_PLAIN) : NULL,
            "{\"write\":[\"$HOME\\/.vlc\"],\"count\":3,\"flag\":true,\"quoted\":\"true\"}");
        /* Declared by the app only: bound to that app alone. */
        p = pb_snap_info_plug(s, "x11");
        PB_CHECK(p && strcmp(p->interface, "x11") == 0 && p->n_apps == 1 &&
                 strcmp(p->apps[0], "vlc") == 0);
        const struct pb_snap_endpoint *sl = pb_snap_info_slot(s, "mpris");
        PB_CHECK(sl && strcmp(sl->interface, "mpris") == 0 && sl->n_apps == 2);
        PB_CHECK(s->n_apps == 2 && strcmp(s->apps[0].name, "cli") == 0);
        PB_CHECK(pb_snap_info_app(s, "vlc") &&
                 strcmp(pb_snap_info_app(s, "vlc")->command, "bin/vlc") == 0);

        /* Round trip through the state form. */
        struct pb_snap_info *d = pb_snap_info_dup(s);
        PB_CHECK(d && d->n_plugs == 4 &&
                 strcmp(pb_snap_info_plug(d, "cam")->interface, "camera") == 0);
        PB_CHECK(d && pb_snap_info_plug(d, "x11")->n_apps == 1);
        pb_snap_info_free(d);
        pb_snap_info_free(s);

        /* Hooks declare plugs too, bound to no app. */
        s = parse("name: a1\napps:\n  run:\n    command: x\nhooks:\n  configure:\n"
                  "    plugs: [network-bind]\n",
                  &e);
        p = s ? pb_snap_info_plug(s, "network-bind") : NULL;
        PB_CHECK(p && strcmp(p->interface, "network-bind") == 0 && p->n_apps == 0);
        pb_snap_info_free(s);
        s = parse("name: a1\nplugs: [x11, network]\n", &e);
        PB_CHECK(s && s->n_plugs == 2 && strcmp(s->plugs[0].name, "network") == 0);
        pb_snap_info_free(s);
}

static void check_err(const char *yaml, const char *want)
{
        struct pb_perror e;
        struct pb_snap_info *s = parse(yaml, &e);
        PB_CHECK(s == NULL);
        PB_CHECK_STR(e.msg, want);
        PB_CHECK(e.status == 400);
        pb_snap_info_free(s);
}

static void test_errors(void)
{
        check_err(
            "name: [a\n",
            "meta/snap.yaml:2:1: did not find expected ',' or ']' while parsing a flow sequence");
        check_err("",
                  "meta/snap.yaml:1:1: empty snap.yaml (expected a map with at least \"name\")");
        check_err("- a\n", "meta/snap.yaml:1:1: expected a map at the top of snap.yaml");
        check_err("version: 1\n",
                  "meta/snap.yaml:1:1: expected a \"name\" field with the snap name");
        check_err("name: Bad_Name\n", "meta/snap.yaml:1:7: invalid snap name: \"Bad_Name\"");
        check_err("name: a1\nplugs:\n  Bad: home\n",
                  "meta/snap.yaml:3:3: invalid plug name: \"Bad\"");
        check_err("name: a1\nplugs:\n  p: [x]\n",
                  "meta/snap.yaml:3:6: plug \"p\" has malformed definition (expected null, an "
                  "interface name or a map of attributes)");
        check_err("name: a1\nslots:\n  s:\n    $x: 1\n",
                  "meta/snap.yaml:4:5: slot \"s\" uses reserved attribute \"$x\"");
        check_err("name: a1\nplugs:\n  p:\n    interface: [a]\n",
                  "meta/snap.yaml:4:16: interface name on plug \"p\" is not a string");
        check_err("name: a1\nplugs:\n  p: Camera\n",
                  "meta/snap.yaml:3:6: invalid interface name: \"Camera\"");
        check_err("name: a1\napps:\n  bad_app:\n    command: x\n",
                  "meta/snap.yaml:3:3: cannot have \"bad_app\" as app name - use letters, digits, "
                  "and dash as separator");
        check_err("name: a1\napps:\n  x:\n    plugs: home\n",
                  "meta/snap.yaml:4:12: expected a list of plug names for app \"x\"");
        check_err("name: a1\nname: a2\n", "meta/snap.yaml:2:1: duplicate key \"name\"");
        check_err("name: a1\nhooks:\n  install:\n    plugs: x\n",
                  "meta/snap.yaml:4:12: expected a list of plug names for hook \"install\"");
        check_err("name: a1\nplugs:\n  p:\n    label: [x]\n",
                  "meta/snap.yaml:4:12: label of plug \"p\" is not a string");
        check_err(
            "name: a1\nconfinement: loose\n",
            "meta/snap.yaml:2:14: confinement must be strict, devmode or classic, not \"loose\"");
}

static void test_names(void)
{
        PB_CHECK(pb_valid_snap_name("vlc"));
        PB_CHECK(pb_valid_snap_name("0ad"));
        PB_CHECK(!pb_valid_snap_name("a"));
        PB_CHECK(!pb_valid_snap_name("123"));
        PB_CHECK(!pb_valid_snap_name("a--b"));
        PB_CHECK(!pb_valid_snap_name("-ab"));
        PB_CHECK(!pb_valid_snap_name("abcdefghijabcdefghijabcdefghijabcdefghijx"));
        PB_CHECK(pb_valid_plug_name("audio-playback"));
        PB_CHECK(!pb_valid_plug_name("1x"));
        PB_CHECK(!pb_valid_plug_name("a-"));
        PB_CHECK(pb_valid_app_name("Vlc-2"));
        PB_CHECK(!pb_valid_app_name("a.b"));
}

/* Hostile input: every prefix of a valid file, a self-referencing alias and
 * an alias bomb parse or fail cleanly (run under ASan in CI). */
static void test_hostile(void)
{
        const char *good = "name: vlc\nplugs:\n  cam:\n    interface: camera\n    x: [1, {a: b}]\n"
                           "apps:\n  vlc:\n    command: vlc\n    plugs: [home]\n";
        size_t n = strlen(good);
        int parsed = 0;
        for (size_t i = 0; i <= n; i++) {
                struct pb_perror e = {0};
                struct pb_snap_info *s = pb_snap_info_parse("p", good, i, &e);
                parsed += s != NULL;
                if (!s && strncmp(e.msg, "p:", 2) != 0)
                        printf("# prefix %zu: %s\n", i, e.msg);
                pb_snap_info_free(s);
        }
        PB_CHECK(parsed > 0);
        struct pb_perror e;
        struct pb_snap_info *s = parse("name: a1\nplugs:\n  p:\n    x: &a [*a]\n", &e);
        PB_CHECK(s == NULL);
        PB_CHECK_STR(e.msg, "meta/snap.yaml:4:8: attributes nested too deeply");
        char bomb[2048] = "name: a1\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (int i = 1; i < 9; i++) {
                size_t l = strlen(bomb);
                snprintf(bomb + l, sizeof(bomb) - l,
                         "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n",
                         i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
                         i - 1);
        }
        strcat(bomb, "plugs:\n  p:\n    bomb: *l8\n");
        s = parse(bomb, &e);
        PB_CHECK(s == NULL);
        PB_CHECK(strstr(e.msg, "attributes too large") != NULL);
        pb_snap_info_free(s);
}

int main(void)
{
        test_hostile();
        test_forms();
        test_errors();
        test_names();
        return pb_test_done();
}
