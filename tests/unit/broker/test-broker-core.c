/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the broker's pure parts: audit ring, route table, change JSON. */
#include "pb-test.h"

#include "audit.h"
#include "changes.h"
#include "daemon.h"
#include "jsonutil.h"
#include "routes.h"

#include <string.h>

static void test_audit(void)
{
        static struct pb_audit a;
        pb_audit_init(&a);
        pb_audit_add(&a, "vlc", 1000, "/home/u/.ssh/id_rsa", "open", NULL);
        pb_audit_add(&a, "vlc", 1000, "/home/u/.ssh/id_rsa", "open", NULL); /* merged */
        pb_audit_add(&a, "vlc", 1000, "/dev/video0", "open", "camera");
        pb_audit_add(&a, "other", 1000, "/x", "read", NULL);
        json_object *all = pb_audit_to_json(&a, NULL);
        PB_CHECK(json_object_array_length(all) == 3);
        json_object *first = json_object_array_get_idx(all, 0), *cnt = NULL;
        json_object_object_get_ex(first, "count", &cnt);
        PB_CHECK(json_object_get_int(cnt) == 2);
        PB_CHECK_STR(pb_json_str(json_object_array_get_idx(all, 1), "interface"), "camera");
        json_object_put(all);
        json_object *vlc = pb_audit_to_json(&a, "vlc");
        PB_CHECK(json_object_array_length(vlc) == 2);
        json_object_put(vlc);

        /* bounded: the ring keeps the newest PB_AUDIT_RING entries */
        char res[32];
        for (int i = 0; i < PB_AUDIT_RING + 10; i++) {
                snprintf(res, sizeof(res), "/f%d", i);
                pb_audit_add(&a, "flood", 0, res, "open", NULL);
        }
        all = pb_audit_to_json(&a, NULL);
        PB_CHECK(json_object_array_length(all) == PB_AUDIT_RING);
        PB_CHECK_STR(pb_json_str(json_object_array_get_idx(all, PB_AUDIT_RING - 1), "resource"),
                     "/f1033");
        json_object_put(all);
        /* long fields are truncated, never overflow */
        char big[1000];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        pb_audit_add(&a, big, 0, big, big, big);
        all = pb_audit_to_json(&a, NULL);
        json_object *last = json_object_array_get_idx(all, json_object_array_length(all) - 1);
        PB_CHECK(strlen(pb_json_str(last, "resource")) == 255);
        json_object_put(all);
        pb_audit_destroy(&a);
}

static void test_routes(void)
{
        const char *arg = NULL;
        bool known = false;
        const struct pb_route *r = pb_route_find("GET", "/v2/changes/42", &arg, &known);
        PB_CHECK(r && r->handler == pb_api_get_change && !r->needs_root);
        PB_CHECK_STR(arg, "42");
        r = pb_route_find("POST", "/v2/changes/42", &arg, &known);
        PB_CHECK(r && r->needs_root);
        r = pb_route_find("GET", "/v2/changes/42/x", &arg, &known);
        PB_CHECK(!r && !known);
        r = pb_route_find("GET", "/v2/changes/", &arg, &known);
        PB_CHECK(!r);
        r = pb_route_find("DELETE", "/v2/connections", &arg, &known);
        PB_CHECK(!r && known);
        r = pb_route_find("POST", "/v2/interfaces", &arg, &known);
        PB_CHECK(r && r->needs_root);
        r = pb_route_find("GET", "/v2/interfaces", &arg, &known);
        PB_CHECK(r && !r->needs_root);
}

static void test_changes_json(void)
{
        static struct pb_broker b;
        memset(&b, 0, sizeof(b));
        pb_changes_init(&b.changes);
        struct pb_change *c = pb_change_new(&b, "connect-snap", "Connect a:b to snapd:b");
        PB_CHECK(c && c->id == 1 && c->status == PB_CHANGE_DO);
        PB_CHECK(pb_change_add_task(c, "connect", "Connect a:b to snapd:b") == 0);
        pb_change_finish_now(c);
        json_object *o = pb_change_to_json(c);
        PB_CHECK_STR(pb_json_str(o, "id"), "1");
        PB_CHECK_STR(pb_json_str(o, "status"), "Done");
        json_object *ready = NULL;
        json_object_object_get_ex(o, "ready", &ready);
        PB_CHECK(json_object_get_boolean(ready));
        PB_CHECK(pb_json_str(o, "ready-time") != NULL);
        json_object_put(o);

        struct pb_change *d = pb_change_new(&b, "disconnect-snap", "Disconnect");
        PB_CHECK(d && d->id == 2);
        /* round trip through the state form; a change saved unfinished comes
         * back as Error, never as pending */
        json_object *arr = pb_changes_to_json(&b);
        PB_CHECK(json_object_array_length(arr) == 2);
        static struct pb_broker b2;
        memset(&b2, 0, sizeof(b2));
        pb_changes_init(&b2.changes);
        struct pb_error err = {0};
        PB_CHECK(pb_changes_load(&b2, arr, 2, &err) == 0);
        struct pb_change *c2 = pb_change_find(&b2, 1), *d2 = pb_change_find(&b2, 2);
        PB_CHECK(c2 && c2->status == PB_CHANGE_DONE && c2->n_tasks == 1);
        PB_CHECK(d2 && d2->status == PB_CHANGE_ERROR && d2->err);
        PB_CHECK(pb_change_new(&b2, "x", "y")->id == 3);
        json_object_put(arr);

        /* garbage in the state: refused with a message */
        json_object *bad = json_tokener_parse("[{\"id\":\"1\"}]");
        static struct pb_broker b3;
        memset(&b3, 0, sizeof(b3));
        pb_changes_init(&b3.changes);
        PB_CHECK(pb_changes_load(&b3, bad, 0, &err) < 0 && err.msg[0]);
        json_object_put(bad);
        pb_change_finish_now(d);
        pb_changes_destroy(&b);
        pb_changes_destroy(&b2);
        pb_changes_destroy(&b3);
}

static void test_times(void)
{
        struct timespec ts = {.tv_sec = 1700000000, .tv_nsec = 123456789}, back = {0};
        json_object *o = json_object_new_object();
        pb_json_add_time(o, "t", &ts);
        PB_CHECK_STR(pb_json_str(o, "t"), "2023-11-14T22:13:20.123456789Z");
        PB_CHECK(pb_json_get_time(o, "t", &back) && back.tv_sec == ts.tv_sec &&
                 back.tv_nsec == ts.tv_nsec);
        json_object_put(o);
}

int main(void)
{
        test_audit();
        test_routes();
        test_changes_json();
        test_times();
        return pb_test_done();
}
