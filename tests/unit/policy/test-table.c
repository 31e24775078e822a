/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The rows of `plugboard connections` (pb_model_connections_table_text):
 * snap's row rules, cells and order, made by policy for the CLI. */
#include "policy-test.h"

static char *table(struct pb_model *m, const char *snap, const char *select)
{
        struct pb_perror e = {0};
        char *t = pb_model_connections_table_text(m, snap, select, &e);
        PB_CHECK(t != NULL);
        return t;
}

/* Many snaps whose names make the cell order differ from (snap, name)
 * order, some plugs connected by hand and some auto-connections undone:
 * every row is there once and the rows are in the table's order. */
static void test_order(struct pb_catalogue *cat)
{
        static const char *const names[] = {"sx",  "sx-1", "sx0", "sx-10", "sxa", "sx-a-b",
                                            "sx9", "sx-9", "ab",  "ab-ab", "zz",  "a0"};
        const size_t n = sizeof(names) / sizeof(names[0]);
        struct pb_model *m = pb_model_new(cat);
        struct pb_perror e = {0};
        struct pb_affected aff = {0};
        for (size_t i = 0; i < n; i++) {
                char yaml[128];
                snprintf(yaml, sizeof(yaml), "name: %s\nplugs: [home, camera, x11, network]\n",
                         names[i]);
                PB_CHECK(pt_install(m, NULL, yaml, NULL, NULL) == 1);
                if (i % 2)
                        PB_CHECK(pb_model_connect(m, names[i], "camera", "", "", NULL, &aff, &e) ==
                                 0);
                pb_affected_clear(&aff);
                if (i % 3 == 0)
                        PB_CHECK(pb_model_disconnect(m, names[i], "home", "", "home", false, &aff,
                                                     &e) == 0);
                pb_affected_clear(&aff);
        }
        char *t = table(m, NULL, "all");
        json_object *o = json_tokener_parse(t), *rows = NULL;
        PB_CHECK(o && json_object_object_get_ex(o, "rows", &rows));
        size_t k = rows ? json_object_array_length(rows) : 0;
        PB_CHECK(k == 4 * n);
        size_t manual = 0, unconnected = 0;
        for (size_t i = 0; i < k; i++) {
                json_object *r = json_object_array_get_idx(rows, i);
                const char *c[4], *p[4];
                for (int j = 0; j < 4; j++)
                        c[j] = json_object_get_string(json_object_array_get_idx(r, j));
                manual += strcmp(c[3], "manual") == 0;
                unconnected += strcmp(c[2], "-") == 0;
                if (i == 0)
                        continue;
                json_object *q = json_object_array_get_idx(rows, i - 1);
                for (int j = 0; j < 4; j++)
                        p[j] = json_object_get_string(json_object_array_get_idx(q, j));
                int d = strcmp(p[0], c[0]);
                if (!d)
                        d = strcmp(p[1], c[1]);
                if (!d)
                        d = strcmp(p[2], c[2]);
                PB_CHECK(d < 0);
        }
        PB_CHECK(manual == n / 2);
        PB_CHECK(unconnected == (n + 1) / 2 + (n + 2) / 3);
        json_object_put(o);
        free(t);
        pb_model_free(m);
}

int main(void)
{
        struct pb_catalogue *cat = pt_catalogue();
        struct pb_model *m = pb_model_new(cat);
        struct pb_perror e = {0};
        struct pb_affected aff = {0};

        /* Nothing installed: no plug or slot is listed, so no rows at all. */
        char *t = table(m, NULL, NULL);
        PB_CHECK_STR(t, "{\"rows\":[]}");
        free(t);

        /* "ab-c:home" sorts before "ab:home" (the cells are compared, not
         * (snap, name) pairs); content shows its determinant; manual. */
        PB_CHECK(pt_install(m, NULL, "name: ab\nplugs: [home, camera]\n", NULL, NULL) == 1);
        PB_CHECK(pt_install(m, NULL, "name: ab-c\nplugs: [home]\n", NULL, NULL) == 1);
        PB_CHECK(pt_install(m, NULL,
                            "name: prod\nslots:\n  data:\n    interface: content\n"
                            "    content: fonts\n    read: [$SNAP/fonts]\n",
                            NULL, NULL) == 1);
        PB_CHECK(pt_install(m, NULL,
                            "name: cons\nplugs:\n  data:\n    interface: content\n"
                            "    content: fonts\n    target: $SNAP/fonts\n",
                            NULL, NULL) == 1);
        PB_CHECK(pb_model_connect(m, "cons", "data", "prod", "data", NULL, &aff, &e) >= 0);
        pb_affected_clear(&aff);
        t = table(m, NULL, NULL);
        PB_CHECK_STR(t, "{\"rows\":[[\"content[fonts]\",\"cons:data\",\"prod:data\",\"-\"],"
                        "[\"home\",\"ab-c:home\",\":home\",\"-\"],"
                        "[\"home\",\"ab:home\",\":home\",\"-\"]]}");
        free(t);

        /* --all adds the unconnected plug, not the unconnected system slots;
         * a manual connection says so. */
        PB_CHECK(pb_model_disconnect(m, "ab", "home", "", "home", false, &aff, &e) == 0);
        pb_affected_clear(&aff);
        PB_CHECK(pb_model_connect(m, "ab", "camera", "", "", NULL, &aff, &e) == 0);
        pb_affected_clear(&aff);
        t = table(m, NULL, "all");
        PB_CHECK_STR(t, "{\"rows\":[[\"camera\",\"ab:camera\",\":camera\",\"manual\"],"
                        "[\"content[fonts]\",\"cons:data\",\"prod:data\",\"-\"],"
                        "[\"home\",\"ab-c:home\",\":home\",\"-\"],"
                        "[\"home\",\"ab:home\",\"-\",\"-\"]]}");
        free(t);
        t = table(m, NULL, NULL);
        PB_CHECK(strstr(t, "ab:home") == NULL && strstr(t, "ab:camera") != NULL);
        free(t);

        /* A snap: its rows only (the form `connections SNAP` uses). */
        t = table(m, "ab", "all");
        PB_CHECK_STR(t, "{\"rows\":[[\"camera\",\"ab:camera\",\":camera\",\"manual\"],"
                        "[\"home\",\"ab:home\",\"-\",\"-\"]]}");
        free(t);
        /* The system snap asked by name: its unconnected slots too. */
        t = table(m, "system", "all");
        PB_CHECK(strstr(t, "[\"kvm\",\"-\",\":kvm\",\"-\"]") != NULL);
        PB_CHECK(strstr(t, "[\"camera\",\"ab:camera\",\":camera\",\"manual\"]") != NULL);
        PB_CHECK(strstr(t, "cons:data") == NULL);
        free(t);

        /* The query errors are GET /v2/connections' ones. */
        PB_CHECK(pb_model_connections_table_text(m, "nope", "all", &e) == NULL);
        PB_CHECK(e.status == 404);
        PB_CHECK_STR(e.kind, "snap-not-found");
        PB_CHECK(pb_model_connections_table_text(m, NULL, "some", &e) == NULL);
        PB_CHECK(e.status == 400);
        PB_CHECK_STR(e.msg, "unsupported select qualifier");

        pb_model_free(m);
        test_order(cat);
        pb_catalogue_free(cat);
        return pb_test_done();
}
