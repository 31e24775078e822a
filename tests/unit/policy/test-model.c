/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The connection model: auto-connect, declarations, manual connect and
 * disconnect with snapd's messages, undesired/--forget through refresh,
 * remove --purge and a state round trip, and the REST result shapes. */
#include "declarations.h"
#include "policy-test.h"

#define VLC                                                                                        \
        "name: vlc\nversion: '3'\nplugs:\n  home: null\n  camera: null\n  audio-playback: null\n"  \
        "  audio-record: null\n  desktop: null\napps:\n  vlc:\n    command: vlc\n"

static bool connected(struct pb_model *m, const char *snap, const char *plug)
{
        return pb_model_endpoint_connected(m, snap, plug, false);
}

static bool has_conn(struct pb_model *m, const char *key, const char *field)
{
        json_object *o = pt_reparse(pb_model_to_json(m)), *conns = NULL, *c = NULL, *v = NULL;
        bool r =
            json_object_object_get_ex(o, "conns", &conns) &&
            json_object_object_get_ex(conns, key, &c) &&
            (!field || (json_object_object_get_ex(c, field, &v) && json_object_get_boolean(v)));
        json_object_put(o);
        return r;
}

static void test_autoconnect(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        struct pb_affected aff = {0};
        PB_CHECK(pt_install(m, NULL, VLC, &aff, NULL) == 1);
        /* The seed's vlc table: home, audio-playback, desktop connected. */
        PB_CHECK(connected(m, "vlc", "home"));
        PB_CHECK(connected(m, "vlc", "audio-playback"));
        PB_CHECK(connected(m, "vlc", "desktop"));
        PB_CHECK(!connected(m, "vlc", "camera"));
        PB_CHECK(!connected(m, "vlc", "audio-record"));
        PB_CHECK(aff.n_snaps == 1 && strcmp(aff.snaps[0], "vlc") == 0);
        PB_CHECK(aff.n_tasks == 3);
        PB_CHECK_STR(aff.tasks[0].summary, "Connect vlc:audio-playback to snapd:audio-playback");
        pb_affected_clear(&aff);
        PB_CHECK(has_conn(m, "vlc:home snapd:home", "auto"));

        /* home with read: all never auto-connects; desktop only to the system. */
        PB_CHECK(
            pt_install(m, NULL, "name: reader\nplugs:\n  home:\n    read: all\n", NULL, NULL) == 1);
        PB_CHECK(!connected(m, "reader", "home"));
        PB_CHECK(pt_install(m, NULL, "name: desk\nslots:\n  desktop: null\n", NULL, NULL) == 1);
        PB_CHECK(pt_install(m, NULL, "name: app2\nplugs: [desktop]\n", NULL, NULL) == 1);
        PB_CHECK(has_conn(m, "app2:desktop snapd:desktop", NULL));
        PB_CHECK(!has_conn(m, "app2:desktop desk:desktop", NULL));

        /* Two candidate slots: ambiguous, nothing auto-connects (snapd logs it). */
        PB_CHECK(pt_install(m, NULL, "name: xserver\nslots:\n  x11: null\n", NULL, NULL) == 1);
        PB_CHECK(pt_install(m, NULL, "name: xclient\nplugs: [x11]\n", NULL, NULL) == 1);
        PB_CHECK(!connected(m, "xclient", "x11"));

        /* A slot snap installed later connects an existing plug whose only
         * candidate it is. */
        PB_CHECK(pt_install(m, NULL,
                            "name: consumer\nplugs:\n  data:\n    interface: content\n"
                            "    target: $SNAP/data\n",
                            NULL, NULL) == 1);
        PB_CHECK(!connected(m, "consumer", "data"));
        aff = (struct pb_affected){0};
        PB_CHECK(pt_install(m, NULL,
                            "name: provider\nslots:\n  data:\n    interface: content\n"
                            "    read: [$SNAP/share]\n",
                            &aff, NULL) == 1);
        PB_CHECK(has_conn(m, "consumer:data provider:data", "auto"));
        PB_CHECK(aff.n_snaps == 2);
        pb_affected_clear(&aff);
        pb_model_free(m);
}

static void test_install_errors(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        struct pb_perror e;
        PB_CHECK(pt_install(m, NULL,
                            "name: pf\nplugs:\n  dot:\n    interface: personal-files\n"
                            "    write: [.config/x]\n",
                            NULL, &e) == -22);
        PB_CHECK_STR(e.msg, "cannot install snap \"pf\": plug \"dot\": attribute \"write\": "
                            "\".config/x\" must start with \"$HOME/\"");
        PB_CHECK(pt_install(m, NULL, "name: pf\nplugs:\n  dot:\n    interface: personal-files\n",
                            NULL, &e) == -22);
        PB_CHECK_STR(e.msg, "cannot install snap \"pf\": plug \"dot\": needs a valid \"read\" or "
                            "\"write\" attribute");
        PB_CHECK(pt_install(m, NULL,
                            "name: sf\nplugs:\n  etc:\n    interface: system-files\n"
                            "    read: [$HOME/x]\n",
                            NULL, &e) == -22);
        PB_CHECK_STR(e.msg, "cannot install snap \"sf\": plug \"etc\": attribute \"read\": "
                            "\"$HOME/x\" must start with \"/\"");
        PB_CHECK(pt_install(m, NULL, "name: h1\nplugs:\n  home:\n    read: some\n", NULL, &e) ==
                 -22);
        PB_CHECK_STR(e.msg, "cannot install snap \"h1\": plug \"home\": attribute \"read\" must be "
                            "one of: all (not \"some\")");
        PB_CHECK(pt_install(m, NULL,
                            "name: ser\nslots:\n  s0:\n    interface: serial-port\n"
                            "    path: /etc/passwd\n",
                            NULL, &e) == -22);
        PB_CHECK(strstr(e.msg, "cannot install snap \"ser\": slot \"s0\": attribute \"path\": "
                               "\"/etc/passwd\" does not match") == e.msg);
        PB_CHECK(pb_model_snap_count(m) == 0);

        /* Unknown interfaces are dropped with snapd's warning, the snap installs. */
        const char *mp = "name: mp\nplugs: [mpris, network]\n";
        struct pb_snap_info *info = pb_snap_info_parse("y", mp, strlen(mp), &e);
        struct pb_install in = {.info = info};
        struct pb_affected aff = {0};
        int rev = 0;
        PB_CHECK(pb_model_install(m, &in, &rev, &aff, &e) == 0 && rev == 1);
        PB_CHECK_STR(in.warning, "snap \"mp\" has bad plugs or slots: mpris (unknown interface "
                                 "\"mpris\")");
        PB_CHECK(pb_snap_info_plug(pb_model_snap_info(m, "mp"), "mpris") == NULL);
        PB_CHECK(connected(m, "mp", "network"));
        pb_affected_clear(&aff);
        pb_model_free(m);
}

static struct pb_declarations *decls_of(const char *json)
{
        struct pb_declarations *d = pb_declarations_new();
        struct pb_perror e = {0};
        if (pb_declarations_add_json(d, "d.json", json, strlen(json), &e) < 0)
                printf("# %s\n", e.msg);
        return d;
}

static void test_declarations(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        const char *g = "name: guvcview\nplugs: [camera, audio-playback]\n";
        PB_CHECK(pt_install(m, NULL, g, NULL, NULL) == 1);
        PB_CHECK(!connected(m, "guvcview", "camera"));
        /* A declaration written now takes effect at the next refresh, not before. */
        struct pb_declarations *d =
            decls_of("{\"snap-name\": \"guvcview\", \"plugs\": {\"camera\": "
                     "{\"allow-auto-connection\": true}, \"audio-playback\": "
                     "{\"allow-auto-connection\": false}}}");
        PB_CHECK(!connected(m, "guvcview", "camera"));
        PB_CHECK(pt_install(m, d, g, NULL, NULL) == 2);
        PB_CHECK(connected(m, "guvcview", "camera"));
        PB_CHECK(has_conn(m, "guvcview:camera snapd:camera", "auto"));
        /* Already auto-connected before: a refresh does not take it away. */
        PB_CHECK(connected(m, "guvcview", "audio-playback"));
        PB_CHECK(pb_model_snap_declaration(m, "guvcview") != NULL);
        /* A fresh install with the declaration: audio-playback denied. */
        PB_CHECK(pb_model_remove(m, "guvcview", true, NULL, NULL) == 0);
        PB_CHECK(pt_install(m, d, g, NULL, NULL) == 1);
        PB_CHECK(!connected(m, "guvcview", "audio-playback"));
        PB_CHECK(connected(m, "guvcview", "camera"));
        pb_declarations_free(d);

        /* allow-installation false refuses the snap. */
        struct pb_perror e;
        d = decls_of("{\"snap-name\": \"noinst\", \"plugs\": {\"camera\": {\"allow-installation\": "
                     "false}}}");
        PB_CHECK(pt_install(m, d, "name: noinst\nplugs: [camera]\n", NULL, &e) == -1);
        PB_CHECK_STR(e.msg, "cannot install snap \"noinst\": installation not allowed by "
                            "\"camera\" plug rule of interface \"camera\"");
        PB_CHECK(pb_model_snap_info(m, "noinst") == NULL);
        pb_declarations_free(d);
        /* The base declaration's allow-installation: false applies to snaps that
         * have a declaration; a side-loaded one (no declaration) installs. */
        const char *pf = "name: pfs\nplugs:\n  cfg:\n    interface: personal-files\n"
                         "    read: [$HOME/.pfs]\n";
        d = decls_of(
            "{\"snap-name\": \"pfs\", \"plugs\": {\"camera\": {\"allow-connection\": true}}}");
        PB_CHECK(pt_install(m, d, pf, NULL, &e) == -1);
        PB_CHECK_STR(e.msg, "cannot install snap \"pfs\": installation not allowed by \"cfg\" plug "
                            "rule of interface \"personal-files\"");
        pb_declarations_free(d);
        d = decls_of(
            "{\"snap-name\": \"pfs\", \"plugs\": {\"personal-files\": {\"allow-installation\": "
            "true, \"allow-connection\": false}}}");
        PB_CHECK(pt_install(m, d, pf, NULL, &e) == 1);
        /* allow-connection false: a manual connect is refused by policy. */
        struct pb_connref ref;
        struct pb_affected aff = {0};
        PB_CHECK(pb_model_connect(m, "pfs", "cfg", "", "", &ref, &aff, &e) == -1);
        PB_CHECK_STR(e.msg, "connection not allowed by plug rule of interface \"personal-files\"");
        PB_CHECK_STR(ref.slot_snap, "snapd");
        pb_declarations_free(d);
        PB_CHECK(pt_install(m, NULL, pf, NULL, &e) == 2);
        PB_CHECK(pb_model_connect(m, "pfs", "cfg", "", "", &ref, &aff, &e) == 0);
        pb_affected_clear(&aff);
        pb_model_free(m);
}

static void expect_connect_err(struct pb_model *m, const char *ps, const char *p, const char *ss,
                               const char *s, const char *want)
{
        struct pb_perror e = {0};
        struct pb_affected aff = {0};
        int ret = pb_model_connect(m, ps, p, ss, s, NULL, &aff, &e);
        PB_CHECK(ret < 0 && e.status == 400);
        PB_CHECK_STR(e.msg, want);
        PB_CHECK(aff.n_tasks == 0);
        pb_affected_clear(&aff);
}

static void test_connect(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        PB_CHECK(pt_install(m, NULL, VLC, NULL, NULL) == 1);
        PB_CHECK(pt_install(m, NULL,
                            "name: minicom\nplugs:\n  serial: serial-port\n  cam: camera\n", NULL,
                            NULL) == 1);
        PB_CHECK(pt_install(m, NULL,
                            "name: gizmo\nslots:\n  ser1:\n    interface: serial-port\n"
                            "    path: /dev/ttyS1\n  ser0:\n    interface: serial-port\n"
                            "    path: /dev/ttyS0\n",
                            NULL, NULL) == 1);
        expect_connect_err(m, "foo", "home", "", "", "snap \"foo\" is not installed");
        expect_connect_err(m, "vlc", "home", "bar", "", "snap \"bar\" is not installed");
        expect_connect_err(m, "", "camera", "", "",
                           "cannot resolve connection, plug snap name is empty");
        expect_connect_err(m, "vlc", "x", "", "", "snap \"vlc\" has no plug named \"x\"");
        expect_connect_err(m, "vlc", "camera", "gizmo", "x",
                           "snap \"gizmo\" has no slot named \"x\"");
        expect_connect_err(m, "minicom", "serial", "", "",
                           "snap \"snapd\" has no \"serial-port\" interface slots");
        expect_connect_err(
            m, "minicom", "serial", "gizmo", "",
            "snap \"gizmo\" has multiple \"serial-port\" interface slots: ser0, ser1");
        expect_connect_err(m, "minicom", "cam", "gizmo", "ser0",
                           "cannot connect minicom:cam (\"camera\" interface) to gizmo:ser0 "
                           "(\"serial-port\" interface)");
        expect_connect_err(m, "minicom", "cam", "gizmo", "",
                           "snap \"gizmo\" has no \"camera\" interface slots");

        struct pb_perror e = {0};
        struct pb_affected aff = {0};
        struct pb_connref ref;
        PB_CHECK(pb_model_connect(m, "vlc", "camera", "", "", &ref, &aff, &e) == 0);
        PB_CHECK_STR(ref.slot_snap, "snapd");
        PB_CHECK_STR(ref.slot, "camera");
        PB_CHECK_STR(aff.tasks[0].summary, "Connect vlc:camera to snapd:camera");
        PB_CHECK(aff.n_snaps == 1);
        pb_affected_clear(&aff);
        PB_CHECK(has_conn(m, "vlc:camera snapd:camera", NULL) &&
                 !has_conn(m, "vlc:camera snapd:camera", "auto"));
        /* Connected already: a distinct positive answer, nothing changes. */
        PB_CHECK(pb_model_connect(m, "vlc", "camera", "system", "camera", NULL, &aff, &e) ==
                 PB_ALREADY_CONNECTED);
        PB_CHECK(pb_model_connect(m, "vlc", "camera", "core", "", NULL, &aff, &e) ==
                 PB_ALREADY_CONNECTED);
        PB_CHECK(aff.n_tasks == 0);
        /* Slots provided by snaps. */
        PB_CHECK(pb_model_connect(m, "minicom", "serial", "gizmo", "ser1", &ref, &aff, &e) == 0);
        PB_CHECK(aff.n_snaps == 2 && strcmp(aff.snaps[0], "gizmo") == 0);
        pb_affected_clear(&aff);
        PB_CHECK(pb_model_is_connected(m, "gizmo", "ser1", NULL, &e) == 1);
        PB_CHECK(pb_model_is_connected(m, "gizmo", "ser0", NULL, &e) == 0);
        PB_CHECK(pb_model_is_connected(m, "gizmo", "ser1", "minicom", &e) == 1);
        PB_CHECK(pb_model_is_connected(m, "gizmo", "ser1", "vlc", &e) == 0);
        PB_CHECK(pb_model_is_connected(m, "vlc", "nope", NULL, &e) == -2);
        PB_CHECK_STR(e.msg, "snap \"vlc\" has no plug or slot named \"nope\"");
        pb_model_free(m);
}

static void expect_disconnect_err(struct pb_model *m, const char *ps, const char *p, const char *ss,
                                  const char *s, bool forget, const char *want, const char *kind)
{
        struct pb_perror e = {0};
        struct pb_affected aff = {0};
        PB_CHECK(pb_model_disconnect(m, ps, p, ss, s, forget, &aff, &e) < 0 && e.status == 400);
        PB_CHECK_STR(e.msg, want);
        PB_CHECK_STR(e.kind, kind);
        pb_affected_clear(&aff);
}

static void test_disconnect_forget(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        struct pb_perror e = {0};
        struct pb_affected aff = {0};
        PB_CHECK(pt_install(m, NULL, VLC, NULL, NULL) == 1);
        expect_disconnect_err(m, "vlc", "camera", "", "camera", false,
                              "cannot disconnect vlc:camera from snapd:camera, it is not connected",
                              "");
        expect_disconnect_err(m, "vlc", "x", "", "camera", false,
                              "snap \"vlc\" has no plug named \"x\"", "");
        expect_disconnect_err(m, "vlc", "camera", "", "x", false,
                              "snap \"snapd\" has no slot named \"x\"", "");
        expect_disconnect_err(m, "", "", "vlc", "x", false,
                              "snap \"vlc\" has no plug or slot named \"x\"", "");
        expect_disconnect_err(m, "", "", "vlc", "camera", false, "nothing to do",
                              "interfaces-unchanged");
        expect_disconnect_err(m, "nope", "home", "", "home", false,
                              "snap \"nope\" is not installed", "");
        expect_disconnect_err(m, "vlc", "camera", "", "camera", true,
                              "cannot forget connection vlc:camera from snapd:camera, it was not "
                              "connected",
                              "");

        /* Disconnecting an auto-connection leaves an undesired marker. */
        PB_CHECK(pb_model_disconnect(m, "", "", "vlc", "home", false, &aff, &e) == 0);
        PB_CHECK(aff.n_tasks == 1 &&
                 strcmp(aff.tasks[0].summary, "Disconnect vlc:home from snapd:home") == 0);
        PB_CHECK(aff.n_snaps == 1);
        pb_affected_clear(&aff);
        PB_CHECK(!connected(m, "vlc", "home"));
        PB_CHECK(has_conn(m, "vlc:home snapd:home", "undesired"));
        /* ... which survives a refresh ... */
        PB_CHECK(pt_install(m, NULL, VLC, NULL, NULL) == 2);
        PB_CHECK(!connected(m, "vlc", "home"));
        /* ... remove --purge ... */
        PB_CHECK(pb_model_remove(m, "vlc", true, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(has_conn(m, "vlc:home snapd:home", "undesired"));
        PB_CHECK(!has_conn(m, "vlc:audio-playback snapd:audio-playback", NULL));
        /* ... and a restart (state round trip). */
        json_object *state = pt_reparse(pb_model_to_json(m));
        pb_model_free(m);
        m = pb_model_from_json(cat, state, &e);
        json_object_put(state);
        PB_CHECK(m != NULL);
        PB_CHECK(pt_install(m, NULL, VLC, NULL, NULL) == 1);
        PB_CHECK(!connected(m, "vlc", "home"));
        PB_CHECK(connected(m, "vlc", "audio-playback"));

        /* --forget clears it; the next refresh auto-connects again. */
        PB_CHECK(pb_model_disconnect(m, "vlc", "home", "", "home", true, &aff, &e) == 0);
        PB_CHECK(aff.n_tasks == 1 &&
                 strcmp(aff.tasks[0].summary, "Forget connection vlc:home from snapd:home") == 0);
        PB_CHECK(aff.n_snaps == 0);
        pb_affected_clear(&aff);
        PB_CHECK(!has_conn(m, "vlc:home snapd:home", NULL));
        PB_CHECK(pt_install(m, NULL, VLC, NULL, NULL) == 2);
        PB_CHECK(connected(m, "vlc", "home"));
        PB_CHECK(has_conn(m, "vlc:home snapd:home", "auto"));

        /* A manual connect of an undesired entry makes it manual. */
        PB_CHECK(pb_model_disconnect(m, "vlc", "home", "snapd", "home", false, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(pb_model_connect(m, "vlc", "home", "", "", NULL, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(has_conn(m, "vlc:home snapd:home", NULL) &&
                 !has_conn(m, "vlc:home snapd:home", "auto") &&
                 !has_conn(m, "vlc:home snapd:home", "undesired"));
        /* Disconnecting a manual connection forgets it entirely. */
        PB_CHECK(pb_model_disconnect(m, "vlc", "home", "", "home", false, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(!has_conn(m, "vlc:home snapd:home", NULL));

        /* --forget of an undesired entry of a snap that is gone. */
        PB_CHECK(pb_model_disconnect(m, "", "", "vlc", "audio-playback", false, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(pb_model_remove(m, "vlc", false, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(pb_model_disconnect(m, "", "", "vlc", "audio-playback", true, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(!has_conn(m, "vlc:audio-playback snapd:audio-playback", NULL));
        PB_CHECK(pb_model_remove(m, "vlc", false, &aff, &e) == -2);
        PB_CHECK_STR(e.msg, "snap \"vlc\" is not installed");
        PB_CHECK_STR(e.kind, "snap-not-installed");
        pb_model_free(m);
}

static void test_refresh_drops(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        struct pb_perror e = {0};
        struct pb_affected aff = {0};
        PB_CHECK(pt_install(m, NULL, "name: app\nplugs: [network, camera, log-observe]\n", NULL,
                            NULL) == 1);
        PB_CHECK(pb_model_connect(m, "app", "log-observe", "", "", NULL, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(connected(m, "app", "network"));
        /* x2 lacks network (auto: dropped) and log-observe (manual: kept, hidden). */
        PB_CHECK(pt_install(m, NULL, "name: app\nplugs: [camera]\n", &aff, NULL) == 2);
        pb_affected_clear(&aff);
        PB_CHECK(!has_conn(m, "app:network snapd:network", NULL));
        PB_CHECK(has_conn(m, "app:log-observe snapd:log-observe", NULL));
        json_object *c = pb_model_connections_json(m, "app", NULL, "all", &e);
        PB_CHECK(c && !strstr(pt_json(c), "log-observe"));
        json_object_put(c);
        /* x3 brings it back: the manual connection reappears. */
        PB_CHECK(pt_install(m, NULL, "name: app\nplugs: [camera, log-observe]\n", NULL, NULL) == 3);
        PB_CHECK(connected(m, "app", "log-observe"));
        PB_CHECK(pb_model_snap_revision(m, "app") == 3 && pb_model_next_revision(m, "app") == 4);
        pb_model_free(m);
}

static void test_rest(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        struct pb_perror e = {0};
        struct pb_affected aff = {0};
        PB_CHECK(pt_install(m, NULL,
                            "name: a1\nplugs:\n  home: null\n  cam:\n    interface: camera\n"
                            "    label: the camera\napps:\n  run:\n    command: x\n",
                            NULL, NULL) == 1);
        PB_CHECK(pb_model_connect(m, "a1", "cam", "", "", NULL, &aff, &e) == 0);
        pb_affected_clear(&aff);
        json_object *c = pb_model_connections_json(m, NULL, NULL, NULL, &e);
        PB_CHECK_STR(
            pt_json(c),
            "{\"established\":[{\"slot\":{\"snap\":\"snapd\",\"slot\":\"camera\"},\"plug\":{"
            "\"snap\":\"a1\",\"plug\":\"cam\"},\"interface\":\"camera\",\"manual\":true},{"
            "\"slot\":{\"snap\":\"snapd\",\"slot\":\"home\"},\"plug\":{\"snap\":\"a1\","
            "\"plug\":\"home\"},\"interface\":\"home\"}],\"plugs\":[{\"snap\":\"a1\","
            "\"plug\":\"cam\",\"interface\":\"camera\",\"apps\":[\"run\"],\"label\":\"the "
            "camera\",\"connections\":[{\"snap\":\"snapd\",\"slot\":\"camera\"}]},{\"snap\":"
            "\"a1\",\"plug\":\"home\",\"interface\":\"home\",\"apps\":[\"run\"],"
            "\"connections\":[{\"snap\":\"snapd\",\"slot\":\"home\"}]}],\"slots\":[{\"snap\":"
            "\"snapd\",\"slot\":\"camera\",\"interface\":\"camera\",\"connections\":[{\"snap\":"
            "\"a1\",\"plug\":\"cam\"}]},{\"snap\":\"snapd\",\"slot\":\"home\",\"interface\":"
            "\"home\",\"connections\":[{\"snap\":\"a1\",\"plug\":\"home\"}]}]}");
        json_object_put(c);
        PB_CHECK(pb_model_disconnect(m, "a1", "home", "", "home", false, &aff, &e) == 0);
        pb_affected_clear(&aff);
        c = pb_model_connections_json(m, "a1", NULL, "all", &e);
        const char *s = pt_json(c);
        PB_CHECK(
            strstr(s,
                   "\"undesired\":[{\"slot\":{\"snap\":\"snapd\",\"slot\":\"home\"},\"plug\":{"
                   "\"snap\":\"a1\",\"plug\":\"home\"},\"interface\":\"home\",\"manual\":true}]") !=
            NULL);
        /* With select=all, the unconnected plug and every system slot appear. */
        PB_CHECK(
            strstr(
                s,
                "{\"snap\":\"a1\",\"plug\":\"home\",\"interface\":\"home\",\"apps\":[\"run\"]}") !=
            NULL);
        json_object_put(c);
        c = pb_model_connections_json(m, "system", "camera", "all", &e);
        c = pt_reparse(c);
        PB_CHECK(c && json_object_array_length(json_object_object_get(c, "slots")) == 1);
        json_object_put(c);
        PB_CHECK(pb_model_connections_json(m, "foo", NULL, "all", &e) == NULL);
        PB_CHECK(e.status == 404);
        PB_CHECK_STR(e.kind, "snap-not-found");
        PB_CHECK_STR(e.value, "foo");
        PB_CHECK(pb_model_connections_json(m, NULL, NULL, "some", &e) == NULL);
        PB_CHECK_STR(e.msg, "unsupported select qualifier");

        struct pb_interfaces_query q = {.select = "connected"};
        c = pb_model_interfaces_json(m, &q, &e);
        PB_CHECK_STR(pt_json(c),
                     "[{\"name\":\"camera\",\"summary\":\"allows access to all cameras\"}]");
        json_object_put(c);
        q = (struct pb_interfaces_query){
            .select = "all", .names = "camera", .plugs = true, .slots = true};
        c = pb_model_interfaces_json(m, &q, &e);
        PB_CHECK_STR(pt_json(c),
                     "[{\"name\":\"camera\",\"summary\":\"allows access to all cameras\","
                     "\"plugs\":[{\"snap\":\"a1\",\"plug\":\"cam\",\"label\":\"the camera\"}],"
                     "\"slots\":[{\"snap\":\"snapd\",\"slot\":\"camera\"}]}]");
        json_object_put(c);
        q = (struct pb_interfaces_query){.select = "all", .names = "kvm,network", .doc = true};
        c = pb_model_interfaces_json(m, &q, &e);
        c = pt_reparse(c);
        PB_CHECK(c && json_object_array_length(c) == 2);
        PB_CHECK(strstr(pt_json(c), "\"grants\":[\"device   read-write  /dev/kvm\"]") != NULL);
        json_object_put(c);
        q = (struct pb_interfaces_query){.select = "all"};
        c = pb_model_interfaces_json(m, &q, &e);
        c = pt_reparse(c);
        PB_CHECK(c && json_object_array_length(c) == 27);
        json_object_put(c);
        q = (struct pb_interfaces_query){0};
        c = pb_model_interfaces_json(m, &q, &e);
        c = pt_reparse(c);
        PB_CHECK(c && json_object_object_get(c, "plugs") && json_object_object_get(c, "slots"));
        json_object_put(c);
        /* Without select=all: no undesired list, no unconnected plugs. */
        char *t = pb_model_connections_text(m, "a1", NULL, "", &e);
        PB_CHECK(t && !strstr(t, "undesired") && !strstr(t, "\"plug\":\"home\",\"interface\""));
        free(t);
        /* The interface filter applies to every list. */
        t = pb_model_connections_text(m, NULL, "home", "all", &e);
        PB_CHECK(t && !strstr(t, "camera") && strstr(t, "\"undesired\""));
        free(t);
        /* select=connected lists only connected plugs of each interface. */
        q = (struct pb_interfaces_query){.select = "connected", .plugs = true, .slots = true};
        t = pb_model_interfaces_text(m, &q, &e);
        PB_CHECK_STR(t, "[{\"name\":\"camera\",\"summary\":\"allows access to all cameras\","
                        "\"plugs\":[{\"snap\":\"a1\",\"plug\":\"cam\",\"label\":\"the camera\"}],"
                        "\"slots\":[{\"snap\":\"snapd\",\"slot\":\"camera\"}]}]");
        free(t);
        q = (struct pb_interfaces_query){.select = "bogus"};
        PB_CHECK(pb_model_interfaces_text(m, &q, &e) == NULL && e.status == 400);

        c = pb_model_snaps_json(m, NULL, &e);
        PB_CHECK(c && json_object_array_length(c) == 1);
        PB_CHECK(strstr(pt_json(c), "\"name\":\"a1\"") &&
                 strstr(pt_json(c), "\"revision\":\"x1\""));
        json_object_put(c);
        PB_CHECK(pb_model_snaps_json(m, "zz", &e) == NULL && e.status == 404);
        pb_model_free(m);
}

static void test_state(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        struct pb_perror e = {0};
        PB_CHECK(pt_install(m, NULL, VLC, NULL, NULL) == 1);
        json_object *a = pt_reparse(pb_model_to_json(m));
        struct pb_model *m2 = pb_model_from_json(cat, a, &e);
        PB_CHECK(m2 != NULL);
        json_object *b = m2 ? pt_reparse(pb_model_to_json(m2)) : NULL;
        PB_CHECK(b && json_object_equal(a, b));
        json_object_put(b);
        pb_model_free(m2);

        struct {
                const char *mutate;
                const char *want;
        } cases[] = {
            {"{\"schema\":2,\"snaps\":{},\"conns\":{}}",
             "schema: version 2 is not supported (this is schema 1)"},
            {"{\"snaps\":{},\"conns\":{}}", "schema: missing or not an integer"},
            {"{\"schema\":1,\"snaps\":[],\"conns\":{}}", "snaps: expected an object"},
            {"{\"schema\":1,\"snaps\":{\"v1\":{\"revision\":0}},\"conns\":{}}",
             "snaps.v1.revision: expected a positive integer"},
            {"{\"schema\":1,\"snaps\":{},\"conns\":{\"bad\":{}}}",
             "conns[\"bad\"]: expected a key \"plugsnap:plug slotsnap:slot\""},
            {"{\"schema\":1,\"snaps\":{},\"conns\":{\"a1:p "
             "snapd:p\":{\"interface\":\"home\",\"auto\":1}}}",
             "conns[\"a1:p snapd:p\"].auto: expected true or false"},
            {"{\"schema\":1,\"snaps\":{},\"conns\":{},\"extra\":1}",
             "state: unknown key \"extra\""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                json_object *o = json_tokener_parse(cases[i].mutate);
                PB_CHECK(pb_model_from_json(cat, o, &e) == NULL);
                PB_CHECK_STR(e.msg, cases[i].want);
                json_object_put(o);
        }
        /* A damaged snap entry inside an otherwise fine state. */
        json_object *snaps = json_object_object_get(a, "snaps");
        json_object *vlc = json_object_object_get(snaps, "vlc");
        json_object_object_add(json_object_object_get(vlc, "info"), "name", json_object_new_int(3));
        PB_CHECK(pb_model_from_json(cat, a, &e) == NULL);
        PB_CHECK_STR(e.msg, "snaps.vlc.info.name: expected a string");
        json_object_put(a);
        pb_model_free(m);
}

/* The example snaps of the tree install, and vlc gets the seed's table. */
static void test_examples(struct pb_catalogue *cat)
{
        static const char *const names[] = {"vlc", "guvcview", "minicom", "gizmo", "notes"};
        struct pb_model *m = pb_model_new(cat);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char path[1024];
                snprintf(path, sizeof(path), "%s/../../examples/%s/meta/snap.yaml",
                         PB_SOURCE_INTERFACES_DIR, names[i]);
                size_t len = 0;
                char *text = pt_read_file(path, &len);
                PB_CHECK(text != NULL);
                struct pb_perror e = {0};
                int rev = text ? pt_install(m, NULL, text, NULL, &e) : -1;
                if (rev < 0)
                        printf("# %s: %s\n", path, e.msg);
                PB_CHECK(rev == 1);
                free(text);
        }
        PB_CHECK(connected(m, "vlc", "home") && connected(m, "vlc", "desktop") &&
                 connected(m, "vlc", "audio-playback"));
        PB_CHECK(!connected(m, "vlc", "camera") && !connected(m, "vlc", "audio-record"));
        /* minicom's themes content plug finds gizmo's themes slot. */
        PB_CHECK(has_conn(m, "minicom:themes gizmo:themes", "auto"));
        PB_CHECK(!connected(m, "minicom", "serial"));
        const struct pb_snap_endpoint *s =
            pb_snap_info_slot(pb_model_snap_info(m, "gizmo"), "ser0");
        PB_CHECK(s && s->label && strcmp(s->label, "serial port for debugging") == 0);
        pb_model_free(m);
}

int main(void)
{
        struct pb_catalogue *cat = pt_catalogue();
        test_examples(cat);
        test_autoconnect(cat);
        test_install_errors(cat);
        test_declarations(cat);
        test_connect(cat);
        test_disconnect_forget(cat);
        test_refresh_drops(cat);
        test_rest(cat);
        test_state(cat);
        pb_catalogue_free(cat);
        return pb_test_done();
}
