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
        pb_catalogue_free(cat);
        return pb_test_done();
}
