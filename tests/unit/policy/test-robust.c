/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bad input never crashes policy/ and never half-applies: byte-level
 * mutations of valid interface files, declarations, snap.yamls and state
 * documents either load or fail with a message (CI runs this under ASan and
 * UBSan, where a crash or leak fails the test). Deterministic (fixed seed).
 */
#include "declarations.h"
#include "policy-test.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (unsigned)rng;
}

static void mutate(char *buf, size_t *len, size_t cap)
{
        static const char alphabet[] = "{}[]:,\"\\ \n-&*$01aZ\xff";
        int n = 1 + (int)(rnd() % 4);
        for (int i = 0; i < n && *len; i++) {
                size_t pos = rnd() % *len;
                switch (rnd() % 3) {
                case 0: /* replace */
                        buf[pos] = alphabet[rnd() % (sizeof(alphabet) - 1)];
                        break;
                case 1: /* delete */
                        memmove(buf + pos, buf + pos + 1, *len - pos - 1);
                        (*len)--;
                        break;
                default: /* insert */
                        if (*len + 1 < cap) {
                                memmove(buf + pos + 1, buf + pos, *len - pos);
                                buf[pos] = alphabet[rnd() % (sizeof(alphabet) - 1)];
                                (*len)++;
                        }
                }
        }
        buf[*len] = '\0';
}

#define ROUNDS 400

static void fuzz_catalogue(void)
{
        size_t len = 0;
        char path[1024];
        snprintf(path, sizeof(path), "%s/serial-port.json", PB_SOURCE_INTERFACES_DIR);
        char *orig = pt_read_file(path, &len);
        PB_CHECK(orig != NULL);
        int ok = 0, bad = 0;
        for (int r = 0; orig && r < ROUNDS; r++) {
                char buf[1 << 14];
                size_t n = len < sizeof(buf) - 64 ? len : sizeof(buf) - 64;
                memcpy(buf, orig, n);
                mutate(buf, &n, sizeof(buf));
                struct pb_catalogue *cat = pb_catalogue_new();
                struct pb_perror e = {0};
                if (pb_catalogue_add_json(cat, "f.json", buf, n, &e) == 0) {
                        ok++;
                        PB_CHECK(pb_catalogue_count(cat) == 1 || !"one interface");
                        free(pb_interface_grants_text(pb_catalogue_at(cat, 0)));
                } else {
                        bad++;
                        if (strncmp(e.msg, "f.json: ", 8) != 0 || pb_catalogue_count(cat) != 0)
                                PB_CHECK(!"error names the file, catalogue unchanged");
                }
                pb_catalogue_free(cat);
        }
        printf("# catalogue: %d loaded, %d refused\n", ok, bad);
        PB_CHECK(bad > 0);
        free(orig);
}

static void fuzz_snap_and_state(struct pb_catalogue *cat)
{
        const char *yaml = "name: app\nversion: '1'\nplugs:\n  home: null\n  cam: camera\n"
                           "  dot:\n    interface: personal-files\n    write: [$HOME/.app]\n"
                           "slots:\n  ser:\n    interface: serial-port\n    path: /dev/ttyS3\n"
                           "apps:\n  run:\n    command: bin/run\n    plugs: [x11, network]\n";
        int parsed = 0;
        for (int r = 0; r < ROUNDS; r++) {
                char buf[2048];
                size_t n = strlen(yaml);
                memcpy(buf, yaml, n + 1);
                mutate(buf, &n, sizeof(buf));
                struct pb_model *m = pb_model_new(cat);
                struct pb_perror e = {0};
                struct pb_snap_info *info = pb_snap_info_parse("y", buf, n, &e);
                if (info) {
                        parsed++;
                        struct pb_install in = {.info = info};
                        struct pb_affected aff = {0};
                        int rev;
                        if (pb_model_install(m, &in, &rev, &aff, &e) < 0) {
                                pb_snap_info_free(in.info);
                                PB_CHECK(pb_model_snap_count(m) == 0 ||
                                         !"refused install leaves nothing");
                        }
                        pb_affected_clear(&aff);
                } else if (strncmp(e.msg, "y:", 2) != 0) {
                        PB_CHECK(!"snap.yaml error names origin:line:column");
                }
                /* The state of whatever got in, mutated, loads whole or not at all. */
                char *state = pb_model_state_text(m, NULL);
                size_t sl = strlen(state);
                char *sbuf = malloc(sl + 64);
                memcpy(sbuf, state, sl + 1);
                mutate(sbuf, &sl, sl + 64);
                json_object *o = json_tokener_parse(sbuf);
                struct pb_model *m2 = o ? pb_model_from_json(cat, o, &e) : NULL;
                if (m2) {
                        char *again = pb_model_state_text(m2, NULL);
                        json_object *o2 = json_tokener_parse(again);
                        PB_CHECK(o2 != NULL || !"a loaded state saves as valid JSON");
                        json_object_put(o2);
                        free(again);
                        json_object_put(pb_model_connections_json(m2, NULL, NULL, "all", &e));
                        struct pb_interfaces_query q = {
                            .select = "all", .plugs = true, .slots = true};
                        json_object_put(pb_model_interfaces_json(m2, &q, &e));
                }
                pb_model_free(m2);
                json_object_put(o);
                free(sbuf);
                free(state);
                pb_model_free(m);
        }
        printf("# snap.yaml: %d of %d mutations parsed\n", parsed, ROUNDS);
        PB_CHECK(parsed > 0 && parsed < ROUNDS);
}

static void fuzz_declarations(void)
{
        const char *decl = "{\"snap-name\": \"guvcview\", \"plugs\": {\"camera\": "
                           "{\"allow-auto-connection\": true}}, \"slots\": {}}";
        for (int r = 0; r < ROUNDS; r++) {
                char buf[512];
                size_t n = strlen(decl);
                memcpy(buf, decl, n + 1);
                mutate(buf, &n, sizeof(buf));
                struct pb_declarations *d = pb_declarations_new();
                struct pb_perror e = {0};
                if (pb_declarations_add_json(d, "d.json", buf, n, &e) < 0 &&
                    strncmp(e.msg, "d.json: ", 8) != 0)
                        PB_CHECK(!"declaration error names the file");
                pb_declarations_free(d);
        }
        PB_CHECK(1);
}

int main(void)
{
        struct pb_catalogue *cat = pt_catalogue();
        fuzz_catalogue();
        fuzz_snap_and_state(cat);
        fuzz_declarations();
        pb_catalogue_free(cat);
        return pb_test_done();
}
