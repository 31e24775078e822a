/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The grant compiler, interface by interface (policy/compile.h). */
#include "compile.h"
#include "policy-test.h"

#define RW (PB_ACCESS_READ | PB_ACCESS_WRITE)
#define R  PB_ACCESS_READ
#define T  PB_ACCESS_TRAVERSE

static const struct pb_user al = {.uid = 1000, .gid = 1000, .home = "/home/al"};

static void connect(struct pb_model *m, const char *snap, const char *plug, const char *ss,
                    const char *slot)
{
        struct pb_perror e = {0};
        struct pb_affected aff = {0};
        int ret = pb_model_connect(m, snap, plug, ss, slot, NULL, &aff, &e);
        if (ret < 0)
                printf("# connect %s:%s: %s\n", snap, plug, e.msg);
        PB_CHECK(ret >= 0);
        pb_affected_clear(&aff);
}

static struct pb_grants *compile(struct pb_model *m, const char *snap)
{
        struct pb_perror e = {0};
        struct pb_grants *g = pb_compile_grants(m, snap, &al, 42, &e);
        if (!g)
                printf("# compile: %s\n", e.msg);
        return g;
}

static void test_home(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        PB_CHECK(pt_install(m, NULL, "name: vlc\nplugs: [home, camera]\n", NULL, NULL) == 1);
        PB_CHECK(pt_install(m, NULL, "name: vlc\nplugs: [home, camera]\n", NULL, NULL) == 2);
        struct pb_grants *g = compile(m, "vlc");
        PB_CHECK(pb_grants_generation(g) == 42);
        /* The same shape test-grants.c describes, now from home.json. */
        PB_CHECK(pb_grants_path(g, "/home/al/Music") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/Music/a/b.ogg") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al") == (R | T));
        PB_CHECK(pb_grants_path(g, "/home/al/.ssh/id_rsa") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al/snap") == (R | T));
        PB_CHECK(pb_grants_path(g, "/home/al/snap/other/x1/f") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc/x2/f") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc/x1/f") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc/common/db") == RW);
        PB_CHECK(pb_grants_path(g, "/etc/passwd") == 0);
        PB_CHECK(pb_grants_endpoint_count(g) == 2);
        const struct pb_grants_endpoint *e = pb_grants_find_endpoint(g, "home");
        PB_CHECK(e && e->connected && !e->is_slot && strcmp(e->interface, "home") == 0);
        e = pb_grants_device_would_grant(g, "video0", R);
        PB_CHECK(e && strcmp(e->name, "camera") == 0 && !e->connected);
        pb_grants_unref(g);

        /* Disconnected: only the snap's own data. */
        struct pb_affected aff = {0};
        PB_CHECK(pb_model_disconnect(m, "vlc", "home", "", "home", false, &aff, NULL) == 0);
        pb_affected_clear(&aff);
        g = compile(m, "vlc");
        PB_CHECK(pb_grants_path(g, "/home/al/Music") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al") == T);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc/x2") == RW);
        e = pb_grants_path_would_grant(g, "/home/al/Music", R);
        PB_CHECK(e && strcmp(e->name, "home") == 0);
        pb_grants_unref(g);

        /* read: all adds the hidden entries, read-only. */
        PB_CHECK(pt_install(m, NULL, "name: bk\nplugs:\n  home:\n    read: all\n", NULL, NULL) ==
                 1);
        connect(m, "bk", "home", "", "");
        g = compile(m, "bk");
        PB_CHECK(pb_grants_path(g, "/home/al/.ssh/id_rsa") == R);
        PB_CHECK(pb_grants_path(g, "/home/al/.bashrc") == R);
        PB_CHECK(pb_grants_path(g, "/home/al/Documents") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/snap/vlc") == 0);
        pb_grants_unref(g);
        struct pb_perror err = {0};
        PB_CHECK(pb_compile_grants(m, "nope", &al, 1, &err) == NULL && err.status == 404);
        struct pb_user bad = {.uid = 1, .gid = 1, .home = "/home/a*"};
        PB_CHECK(pb_compile_grants(m, "bk", &bad, 1, &err) == NULL && err.status == 400);
        pb_model_free(m);
}

static void test_files(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        PB_CHECK(
            pt_install(
                m, NULL,
                "name: app\nplugs:\n"
                "  dot:\n    interface: personal-files\n    read: [$HOME/.config/app]\n"
                "    write: [$HOME/.app, $HOME/.local/share/app]\n"
                "  etc:\n    interface: system-files\n    read: [/etc/app]\n    write: /srv/app\n"
                "  removable-media: null\n  log-observe: null\n  mount-observe: null\n",
                NULL, NULL) == 1);
        struct pb_grants *g = compile(m, "app");
        PB_CHECK(pb_grants_path(g, "/home/al/.app/x") == 0);
        const struct pb_grants_endpoint *e = pb_grants_path_would_grant(g, "/home/al/.app/x", RW);
        PB_CHECK(e && strcmp(e->name, "dot") == 0);
        e = pb_grants_path_would_grant(g, "/srv/app", RW);
        PB_CHECK(e && strcmp(e->name, "etc") == 0);
        pb_grants_unref(g);
        connect(m, "app", "dot", "", "");
        connect(m, "app", "etc", "", "");
        connect(m, "app", "removable-media", "", "");
        connect(m, "app", "log-observe", "", "");
        connect(m, "app", "mount-observe", "", "");
        g = compile(m, "app");
        PB_CHECK(pb_grants_path(g, "/home/al/.app") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/.app/deep/file") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/.local/share/app/db") == RW);
        PB_CHECK(pb_grants_path(g, "/home/al/.local/share/other") == 0);
        PB_CHECK(pb_grants_path(g, "/home/al/.local") == T);
        PB_CHECK(pb_grants_path(g, "/home/al/.config/app/rc") == R);
        PB_CHECK(pb_grants_path(g, "/home/al/Music") == 0);
        PB_CHECK(pb_grants_path(g, "/etc/app/conf") == R);
        PB_CHECK(pb_grants_path(g, "/etc/passwd") == 0);
        PB_CHECK(pb_grants_path(g, "/srv/app/data") == RW);
        PB_CHECK(pb_grants_path(g, "/media") == (R | T));
        PB_CHECK(pb_grants_path(g, "/media/al") == (R | T));
        PB_CHECK(pb_grants_path(g, "/media/al/stick/file") == RW);
        PB_CHECK(pb_grants_path(g, "/run/media/al/stick") == RW);
        PB_CHECK(pb_grants_path(g, "/mnt/x") == RW);
        PB_CHECK(pb_grants_path(g, "/var/log/syslog") == R);
        PB_CHECK(pb_grants_path(g, "/var/log") == R);
        PB_CHECK(pb_grants_path(g, "/var/lib") == 0);
        PB_CHECK(pb_grants_path(g, "/run/mount/utab") == R);
        PB_CHECK(pb_grants_device(g, "kmsg") == R);
        pb_grants_unref(g);
        pb_model_free(m);
}

static void test_devices_services(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        const char *all[] = {"camera",        "kvm",          "hardware-random-observe",
                             "joystick",      "raw-usb",      "fuse-support",
                             "block-devices", "alsa",         "opengl",
                             "audio-record",  "x11",          "wayland",
                             "network",       "network-bind", "audio-playback"};
        char yaml[1024] = "name: dev\nplugs:\n";
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
                strcat(yaml, "  ");
                strcat(yaml, all[i]);
                strcat(yaml, ": null\n");
        }
        PB_CHECK(pt_install(m, NULL, yaml, NULL, NULL) == 1);
        struct pb_grants *g = compile(m, "dev");
        /* Auto-connected ones grant; the rest only say who would. */
        PB_CHECK(pb_grants_service(g, PB_SERVICE_X11));
        PB_CHECK(pb_grants_service(g, PB_SERVICE_NETWORK));
        PB_CHECK(pb_grants_service(g, PB_SERVICE_AUDIO_PLAYBACK));
        PB_CHECK(!pb_grants_service(g, PB_SERVICE_AUDIO_RECORD));
        PB_CHECK(pb_grants_device(g, "dri/renderD128") == RW);
        PB_CHECK(pb_grants_device(g, "kvm") == 0);
        const struct pb_grants_endpoint *e =
            pb_grants_service_would_grant(g, PB_SERVICE_AUDIO_RECORD);
        PB_CHECK(e && strcmp(e->name, "audio-record") == 0);
        pb_grants_unref(g);
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
                struct pb_affected aff = {0};
                struct pb_perror err = {0};
                pb_model_connect(m, "dev", all[i], "", "", NULL, &aff, &err);
                pb_affected_clear(&aff);
        }
        g = compile(m, "dev");
        PB_CHECK(pb_grants_device(g, "video0") == RW);
        PB_CHECK(pb_grants_device(g, "video12") == RW);
        PB_CHECK(pb_grants_device(g, "videox") == 0);
        PB_CHECK(pb_grants_device(g, "kvm") == RW);
        PB_CHECK(pb_grants_device(g, "hwrng") == R);
        PB_CHECK(pb_grants_device(g, "input/js0") == RW);
        PB_CHECK(pb_grants_device(g, "input/event3") == 0);
        PB_CHECK(pb_grants_device(g, "bus/usb/001/002") == RW);
        PB_CHECK(pb_grants_device(g, "ttyUSB0") == RW);
        PB_CHECK(pb_grants_device(g, "ttyACM1") == RW);
        PB_CHECK(pb_grants_device(g, "fuse") == RW);
        PB_CHECK(pb_grants_device(g, "sda") == RW);
        PB_CHECK(pb_grants_device(g, "sda1") == 0);
        PB_CHECK(pb_grants_device(g, "vdb") == RW);
        PB_CHECK(pb_grants_device(g, "nvme0n1") == RW);
        PB_CHECK(pb_grants_device(g, "loop0") == RW);
        PB_CHECK(pb_grants_device(g, "loop-control") == RW);
        PB_CHECK(pb_grants_device(g, "mmcblk0") == RW);
        PB_CHECK(pb_grants_device(g, "snd/pcmC0D0p") == RW);
        PB_CHECK(pb_grants_device(g, "dri/card0") == RW);
        PB_CHECK(pb_grants_device(g, "nvidia0") == RW);
        PB_CHECK(pb_grants_device(g, "mem") == 0);
        PB_CHECK(pb_grants_device(g, "ttyS0") == 0);
        PB_CHECK(pb_grants_service(g, PB_SERVICE_AUDIO_RECORD));
        PB_CHECK(pb_grants_service(g, PB_SERVICE_WAYLAND));
        PB_CHECK(pb_grants_service(g, PB_SERVICE_NETWORK_BIND));
        PB_CHECK(pb_grants_path(g, "/var/lib/alsa/asound.state") == R);
        pb_grants_unref(g);

        /* pulseaudio grants both audio services; hardware-random-control rw. */
        PB_CHECK(pt_install(m, NULL, "name: pa\nplugs: [pulseaudio, hardware-random-control]\n",
                            NULL, NULL) == 1);
        connect(m, "pa", "pulseaudio", "", "");
        connect(m, "pa", "hardware-random-control", "", "");
        g = compile(m, "pa");
        PB_CHECK(pb_grants_service(g, PB_SERVICE_AUDIO_PLAYBACK) &&
                 pb_grants_service(g, PB_SERVICE_AUDIO_RECORD));
        PB_CHECK(pb_grants_device(g, "hwrng") == RW);
        pb_grants_unref(g);
        pb_model_free(m);
}

static void test_serial_and_slots(struct pb_catalogue *cat)
{
        struct pb_model *m = pb_model_new(cat);
        PB_CHECK(pt_install(m, NULL,
                            "name: gizmo\nslots:\n  ser0:\n    interface: serial-port\n"
                            "    path: /dev/ttyS0\n  usb:\n    interface: serial-port\n"
                            "    path: /dev/serial-port-gps\n    usb-vendor: 4660\n"
                            "    usb-product: 1\n",
                            NULL, NULL) == 1);
        PB_CHECK(pt_install(m, NULL,
                            "name: minicom\nplugs:\n  s1: serial-port\n  s2: serial-port\n", NULL,
                            NULL) == 1);
        struct pb_grants *g = compile(m, "minicom");
        PB_CHECK(pb_grants_device(g, "ttyS0") == 0);
        /* Not connected, but the audit log can still say which plug would. */
        const struct pb_grants_endpoint *w = pb_grants_device_would_grant(g, "ttyS0", RW);
        PB_CHECK(w && strcmp(w->interface, "serial-port") == 0 && !w->connected);
        PB_CHECK(pb_grants_device_would_grant(g, "kvm", RW) == NULL);
        pb_grants_unref(g);
        connect(m, "minicom", "s1", "gizmo", "ser0");
        g = compile(m, "minicom");
        PB_CHECK(pb_grants_device(g, "ttyS0") == RW);
        PB_CHECK(pb_grants_device(g, "ttyS1") == 0);
        PB_CHECK(pb_grants_device(g, "ttyUSB0") == 0);
        pb_grants_unref(g);
        connect(m, "minicom", "s2", "gizmo", "usb");
        g = compile(m, "minicom");
        PB_CHECK(pb_grants_device(g, "ttyUSB0") == RW);
        PB_CHECK(pb_grants_device(g, "serial-port-gps") == 0);
        pb_grants_unref(g);
        /* The slot side: endpoints exist and say connected. */
        g = compile(m, "gizmo");
        const struct pb_grants_endpoint *e = pb_grants_find_endpoint(g, "ser0");
        PB_CHECK(e && e->is_slot && e->connected);
        PB_CHECK(pb_grants_endpoint_count(g) == 2);
        pb_grants_unref(g);
        pb_model_free(m);
}

static void test_custom(struct pb_catalogue *cat)
{
        const char *custom =
            "{\"name\":\"site-data\",\"summary\":\"allows access to the site data\","
            "\"implicit-slot\":true,\"plug-attrs\":{\"dirs\":{\"type\":\"string-list\"}},"
            "\"grants\":[{\"path\":\"/srv/$SNAP_NAME\",\"access\":\"rw\",\"recursive\":true},"
            "{\"path\":\"/run/user/$UID/site\",\"access\":\"r\"},"
            "{\"path\":\"/data/"
            "$ATTR\",\"access\":\"r\",\"recursive\":true,\"for-each\":\"plug-attr:dirs\"},"
            "{\"device\":\"/dev/site[0-9]\",\"access\":\"rw\"},{\"service\":\"x11\"}]}";
        struct pb_perror e = {0};
        PB_CHECK(pb_catalogue_add_json(cat, "site.json", custom, strlen(custom), &e) == 0);
        struct pb_model *m = pb_model_new(cat);
        int rev = pt_install(m, NULL, "name: tool\nplugs:\n  site-data:\n    dirs: [a, '*', b/c]\n",
                             NULL, &e);
        if (rev < 0)
                printf("# install: %s\n", e.msg);
        PB_CHECK(rev == 1);
        connect(m, "tool", "site-data", "", "");
        struct pb_grants *g = compile(m, "tool");
        PB_CHECK(g != NULL);
        if (!g) {
                pb_model_free(m);
                return;
        }
        PB_CHECK(pb_grants_path(g, "/srv/tool/x") == RW);
        PB_CHECK(pb_grants_path(g, "/srv/other") == 0);
        PB_CHECK(pb_grants_path(g, "/run/user/1000/site") == R);
        PB_CHECK(pb_grants_path(g, "/data/a/f") == R);
        PB_CHECK(pb_grants_path(g, "/data/b/c") == R);
        /* An attribute value never becomes a glob. */
        PB_CHECK(pb_grants_path(g, "/data/zzz") == 0);
        PB_CHECK(pb_grants_device(g, "site3") == RW);
        PB_CHECK(pb_grants_service(g, PB_SERVICE_X11));
        pb_grants_unref(g);
        pb_model_free(m);
}

int main(void)
{
        struct pb_catalogue *cat = pt_catalogue();
        test_home(cat);
        test_files(cat);
        test_devices_services(cat);
        test_serial_and_slots(cat);
        test_custom(cat);
        pb_catalogue_free(cat);
        return pb_test_done();
}
