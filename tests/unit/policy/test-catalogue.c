/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The interface catalogue: the shipped files load, bad files are refused
 * whole with their origin, drop-ins override built-ins (policy/catalogue.h). */
#include "declarations.h"
#include "policy-test.h"

static const char *const shipped[] = {
    "alsa",
    "audio-playback",
    "audio-record",
    "block-devices",
    "camera",
    "content",
    "desktop",
    "desktop-legacy",
    "fuse-support",
    "hardware-random-control",
    "hardware-random-observe",
    "home",
    "joystick",
    "kvm",
    "log-observe",
    "mount-observe",
    "network",
    "network-bind",
    "opengl",
    "personal-files",
    "pulseaudio",
    "raw-usb",
    "removable-media",
    "serial-port",
    "system-files",
    "wayland",
    "x11",
    "x11",
};

static void test_shipped(void)
{
        struct pb_catalogue *cat = pt_catalogue();
        PB_CHECK(pb_catalogue_count(cat) == 27);
        for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++)
                PB_CHECK(pb_catalogue_lookup(cat, shipped[i]) != NULL);
        /* Sorted by name. */
        for (size_t i = 1; i < pb_catalogue_count(cat); i++)
                PB_CHECK(strcmp(pb_interface_name(pb_catalogue_at(cat, i - 1)),
                                pb_interface_name(pb_catalogue_at(cat, i))) < 0);
        const struct pb_interface *f = pb_catalogue_lookup(cat, "network");
        PB_CHECK_STR(pb_interface_summary(f), "allows access to the network");
        PB_CHECK(pb_interface_auto_connect(f) && pb_interface_implicit_slot(f));
        PB_CHECK_STR(pb_interface_doc_url(f), "");
        f = pb_catalogue_lookup(cat, "serial-port");
        PB_CHECK(!pb_interface_implicit_slot(f) && !pb_interface_auto_connect(f));
        f = pb_catalogue_lookup(cat, "camera");
        PB_CHECK(pb_interface_implicit_slot(f) && !pb_interface_auto_connect(f));
        PB_CHECK(strstr(pb_interface_origin(f), "camera.json") != NULL);

        /* What it grants, in technical terms. */
        char *text = pb_interface_grants_text(f);
        PB_CHECK_STR(text, "device   read-write  /dev/video[0-9]*\n"
                           "device   read-write  /dev/vchiq\n");
        free(text);
        text = pb_interface_grants_text(pb_catalogue_lookup(cat, "home"));
        PB_CHECK(text && strstr(text, "path     read-write  $HOME/[!.]* (and everything below)\n"));
        PB_CHECK(text && strstr(text, "path     read-only   $HOME/.* (and everything below) [when "
                                      "plug attribute read is \"all\"]\n"));
        free(text);
        text = pb_interface_grants_text(pb_catalogue_lookup(cat, "personal-files"));
        PB_CHECK(text && strstr(text, "path     read-write  each value of plug attribute \"write\" "
                                      "(and everything below)\n"));
        free(text);
        text = pb_interface_grants_text(pb_catalogue_lookup(cat, "audio-record"));
        PB_CHECK(text && strncmp(text, "service              audio-record: ", 35) == 0);
        free(text);
        json_object *lines = pb_interface_grant_lines(pb_catalogue_lookup(cat, "kvm"));
        PB_CHECK_STR(pt_json(lines), "[\"device   read-write  /dev/kvm\"]");
        json_object_put(lines);
        pb_catalogue_free(cat);
}

static void bad(const char *text, const char *want)
{
        struct pb_catalogue *cat = pb_catalogue_new();
        struct pb_perror e = {0};
        int ret =
            pb_catalogue_add_json(cat, "/etc/plugboard/interfaces/x.json", text, strlen(text), &e);
        PB_CHECK(ret == -22);
        PB_CHECK_STR(e.msg, want);
        PB_CHECK(pb_catalogue_count(cat) == 0);
        pb_catalogue_free(cat);
}

static void test_bad_files(void)
{
        bad("{", "/etc/plugboard/interfaces/x.json: invalid JSON: unexpected end of input");
        bad("{} x", "/etc/plugboard/interfaces/x.json: invalid JSON at byte 3: trailing data");
        bad("[]", "/etc/plugboard/interfaces/x.json: expected a JSON object");
        bad("{\"summary\":\"s\"}", "/etc/plugboard/interfaces/x.json: missing \"name\"");
        bad("{\"name\":\"Bad\",\"summary\":\"s\"}",
            "/etc/plugboard/interfaces/x.json: invalid interface name: \"Bad\"");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"colour\":1}",
            "/etc/plugboard/interfaces/x.json: interface: unknown key \"colour\"");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"auto-connect\":\"yes\"}",
            "/etc/plugboard/interfaces/x.json: \"auto-connect\" must be true or false");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"grants\":[{\"path\":\"/x\"}]}",
            "/etc/plugboard/interfaces/x.json: grants[0]: \"access\" must be \"r\", \"rw\" or "
            "\"none\"");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"grants\":[{\"path\":\"x\",\"access\":\"r\"}]}",
            "/etc/plugboard/interfaces/x.json: grants[0]: path \"x\" must be absolute (or start "
            "with $HOME or $ATTR)");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"grants\":[{\"path\":\"/a/../"
            "b\",\"access\":\"r\"}]}",
            "/etc/plugboard/interfaces/x.json: grants[0]: \"/a/../b\" must be a clean path");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"grants\":[{\"path\":\"$TMP/"
            "x\",\"access\":\"r\"}]}",
            "/etc/plugboard/interfaces/x.json: grants[0]: \"$TMP/x\" uses an unknown variable "
            "(known: $HOME, $UID, $SNAP_NAME, $SNAP_REVISION, and $ATTR with for-each)");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"grants\":[{\"service\":\"dbus\"}]}",
            "/etc/plugboard/interfaces/x.json: grants[0]: unknown service \"dbus\" (known: "
            "audio-playback, audio-record, x11, wayland, network, network-bind)");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"grants\":[{\"device\":\"/etc/"
            "x\",\"access\":\"r\"}]}",
            "/etc/plugboard/interfaces/x.json: grants[0]: device \"/etc/x\" must be under /dev");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"grants\":[{\"path\":\"/"
            "x\",\"device\":\"y\",\"access\":\"r\"}]}",
            "/etc/plugboard/interfaces/x.json: grants[0]: expected exactly one of \"path\", "
            "\"device\", \"service\"");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"plug-attrs\":{\"p\":{\"pattern\":\"(\"}}}",
            "/etc/plugboard/interfaces/x.json: plug-attrs.p: \"pattern\" is not a valid extended "
            "regular expression");
        /* fuzz/regressions/interface/oom-23fd8f57…: regcomp took 2 GiB on this. */
        bad("{\"name\":\"a\",\"summary\":\"s\",\"plug-attrs\":{\"p\":{\"pattern\":"
            "\"^(MS++++++++++++++++++++++++M)$\"}}}",
            "/etc/plugboard/interfaces/x.json: plug-attrs.p: \"pattern\" is longer than 256 "
            "characters or repeats a repetition (\"a++\", \"a*{2}\")");
        bad("{\"name\":\"a\",\"summary\":\"s\",\"plug-attrs\":{\"p\":{\"pattern\":"
            "\"x{2}*\"}}}",
            "/etc/plugboard/interfaces/x.json: plug-attrs.p: \"pattern\" is longer than 256 "
            "characters or repeats a repetition (\"a++\", \"a*{2}\")");
}

static void test_dropin_override(void)
{
        struct pb_catalogue *cat = pt_catalogue();
        const char *custom = "{\"name\":\"camera\",\"summary\":\"site camera policy\","
                             "\"implicit-slot\":true,\"grants\":[{\"device\":\"/dev/video0\","
                             "\"access\":\"r\"}]}";
        struct pb_perror e = {0};
        PB_CHECK(pb_catalogue_add_json(cat, "/etc/plugboard/interfaces/camera.json", custom,
                                       strlen(custom), &e) == 0);
        PB_CHECK(pb_catalogue_count(cat) == 27);
        PB_CHECK_STR(pb_interface_summary(pb_catalogue_lookup(cat, "camera")),
                     "site camera policy");
        const char *newone = "{\"name\":\"gps\",\"summary\":\"allows access to the GPS\","
                             "\"implicit-slot\":true,\"grants\":[{\"device\":\"/dev/ttyGPS[0-9]\","
                             "\"access\":\"r\"}]}";
        PB_CHECK(pb_catalogue_add_json(cat, "gps.json", newone, strlen(newone), &e) == 0);
        PB_CHECK(pb_catalogue_count(cat) == 28);
        pb_catalogue_free(cat);
}

static void test_declarations(void)
{
        struct pb_declarations *d = pb_declarations_new();
        struct pb_perror e = {0};
        const char *ok = "{\"snap-name\": \"guvcview\", \"plugs\": {\"camera\": "
                         "{\"allow-auto-connection\": true, \"allow-connection\": \"false\"}}}";
        PB_CHECK(pb_declarations_add_json(d, "g.json", ok, strlen(ok), &e) == 0);
        PB_CHECK_STR(pt_json(pb_declarations_get(d, "guvcview")),
                     "{\"snap-name\":\"guvcview\",\"plugs\":{\"camera\":{\"allow-auto-connection\":"
                     "true,\"allow-connection\":false}},\"slots\":{}}");
        PB_CHECK(pb_declarations_get(d, "vlc") == NULL);
        const char *bad1 = "{\"plugs\": {}}";
        PB_CHECK(pb_declarations_add_json(d, "b.json", bad1, strlen(bad1), &e) == -22);
        PB_CHECK_STR(e.msg, "b.json: \"snap-name\" must be given as a string");
        const char *bad2 =
            "{\"snap-name\": \"x1\", \"plugs\": {\"camera\": {\"allow-auto-connection\": 1}}}";
        PB_CHECK(pb_declarations_add_json(d, "b.json", bad2, strlen(bad2), &e) == -22);
        PB_CHECK_STR(e.msg, "b.json: plugs.camera.allow-auto-connection: expected true or false");
        const char *bad3 =
            "{\"snap-name\": \"x1\", \"plugs\": {\"camera\": {\"allow-everything\": true}}}";
        PB_CHECK(pb_declarations_add_json(d, "b.json", bad3, strlen(bad3), &e) == -22);
        PB_CHECK_STR(e.msg, "b.json: plugs.camera: unknown key \"allow-everything\"");
        PB_CHECK(pb_declarations_get(d, "x1") == NULL);
        pb_declarations_free(d);
}

int main(void)
{
        test_shipped();
        test_bad_files();
        test_dropin_override();
        test_declarations();
        return pb_test_done();
}
