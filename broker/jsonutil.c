/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "jsonutil.h"

#include <stdio.h>
#include <string.h>

const char *pb_json_str(json_object *o, const char *key)
{
        json_object *v = NULL;
        if (!o || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

void pb_format_time(const struct timespec *ts, char *buf, size_t n)
{
        struct tm tm;
        gmtime_r(&ts->tv_sec, &tm);
        size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + k, n - k, ".%09ldZ", ts->tv_nsec);
}

void pb_json_add_time(json_object *o, const char *key, const struct timespec *ts)
{
        char buf[64];
        pb_format_time(ts, buf, sizeof(buf));
        json_object_object_add(o, key, json_object_new_string(buf));
}

bool pb_json_get_time(json_object *o, const char *key, struct timespec *ts)
{
        const char *s = pb_json_str(o, key);
        if (!s)
                return false;
        struct tm tm = {0};
        const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!rest)
                return false;
        ts->tv_sec = timegm(&tm);
        ts->tv_nsec = 0;
        if (*rest == '.') {
                long ns = 0;
                int digits = 0;
                for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
                        if (digits < 9)
                                ns = ns * 10 + (*rest - '0');
                for (; digits < 9; digits++)
                        ns *= 10;
                ts->tv_nsec = ns;
        }
        return true;
}

const char *pb_json_text(json_object *o, size_t *len)
{
        return json_object_to_json_string_length(
            o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
