/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pbp_sorted_index: the one binary search behind the model's, the
 * catalogue's and snap infos' lookups. */
#include "pb-test.h"
#include "putil.h"

#include <string.h>

static int cmp_name(const void *element, const void *key)
{
        return strcmp(*(const char *const *)element, key);
}

static size_t find(const char *const *arr, size_t n, const char *key, bool *found)
{
        return pbp_sorted_index(arr, n, sizeof(*arr), key, cmp_name, found);
}

int main(void)
{
        static const char *const names[] = {"audio", "camera", "home", "network", "x11"};
        const size_t n = sizeof(names) / sizeof(names[0]);
        bool found = false;

        /* Every element is found at its own index. */
        for (size_t i = 0; i < n; i++) {
                size_t at = find(names, n, names[i], &found);
                PB_CHECK(found && at == i);
        }
        /* A missing key reports where it would be inserted. */
        PB_CHECK(find(names, n, "aaa", &found) == 0 && !found);
        PB_CHECK(find(names, n, "desktop", &found) == 2 && !found);
        PB_CHECK(find(names, n, "opengl", &found) == 4 && !found);
        PB_CHECK(find(names, n, "zzz", &found) == n && !found);
        /* An empty array (NULL base, as an empty model has) is never read. */
        found = true;
        PB_CHECK(find(NULL, 0, "home", &found) == 0 && !found);
        /* One element: before, at, after. */
        PB_CHECK(find(names + 2, 1, "camera", &found) == 0 && !found);
        PB_CHECK(find(names + 2, 1, "home", &found) == 0 && found);
        PB_CHECK(find(names + 2, 1, "network", &found) == 1 && !found);
        return pb_test_done();
}
