/*
 * test_warn.c - the warning list (core/base/warn.h): "where: message"
 * lines, no duplicates, insertion order, a bound with a dropped count,
 * copy and union (what merge keeps), and printing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/warn.h"

static void test_add_formats_where(void **state)
{
    (void)state;
    struct warn_list w;
    warn_list_init(&w);
    warn_add(&w, "a.yaml:3:7", "event '%s' at %s never happens", "x", "40m");
    warn_add(&w, NULL, "no location");
    warn_add(&w, "", "empty location");
    assert_int_equal(w.n, 3);
    assert_string_equal(w.items[0],
                        "a.yaml:3:7: event 'x' at 40m never happens");
    assert_string_equal(w.items[1], "no location");
    assert_string_equal(w.items[2], "empty location");
    warn_list_fini(&w);
    assert_int_equal(w.n, 0);
    warn_list_fini(NULL);
}

static void test_duplicates_once(void **state)
{
    (void)state;
    struct warn_list w;
    warn_list_init(&w);
    warn_add(&w, "f", "same");
    warn_add_text(&w, "f: same");
    warn_add(&w, "f", "other");
    assert_int_equal(w.n, 2);
    assert_string_equal(w.items[1], "f: other");
    warn_list_fini(&w);
}

static void test_control_bytes_become_spaces(void **state)
{
    (void)state;
    struct warn_list w;
    warn_list_init(&w);
    warn_add_text(&w, "two\nlines\tand\x7f");
    assert_string_equal(w.items[0], "two lines and ");
    warn_list_fini(&w);
}

static void test_bound_counts_dropped(void **state)
{
    (void)state;
    struct warn_list w;
    warn_list_init(&w);
    for (int i = 0; i < WARN_MAX + 5; i++)
        warn_add(&w, NULL, "line %d", i);
    assert_int_equal(w.n, WARN_MAX);
    assert_int_equal(w.dropped, 5);
    char *big = malloc(3 * WARN_MAX_TEXT);
    memset(big, 'a', 3 * WARN_MAX_TEXT - 1);
    big[3 * WARN_MAX_TEXT - 1] = '\0';
    struct warn_list l;
    warn_list_init(&l);
    warn_add_text(&l, big);
    warn_add(&l, "w", "%s", big);
    assert_int_equal(strlen(l.items[0]), WARN_MAX_TEXT - 1);
    assert_int_equal(strlen(l.items[1]), WARN_MAX_TEXT - 1);
    assert_memory_equal(l.items[1], "w: aaa", 6);
    free(big);
    warn_list_fini(&l);
    warn_list_fini(&w);
}

static void test_union_keeps_order_and_dedups(void **state)
{
    (void)state;
    struct warn_list a, b, c;
    warn_list_init(&a);
    warn_list_init(&b);
    warn_list_init(&c);
    warn_add_text(&a, "x");
    warn_add_text(&a, "y");
    warn_add_text(&b, "y");
    warn_add_text(&b, "z");
    b.dropped = 2;
    warn_list_union(&a, &b);
    assert_int_equal(a.n, 3);
    assert_string_equal(a.items[2], "z");
    assert_int_equal(a.dropped, 2);
    warn_list_copy(&c, &a);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.dropped, 2);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(c.items[i], a.items[i]);
        assert_ptr_not_equal(c.items[i], a.items[i]);
    }
    warn_list_fini(&a);
    warn_list_fini(&b);
    warn_list_fini(&c);
}

static void test_print(void **state)
{
    (void)state;
    struct warn_list w;
    warn_list_init(&w);
    warn_add(&w, "f:1:2", "m");
    w.dropped = 3;
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_non_null(f);
    warn_list_print(&w, "tollgate sim", f);
    fclose(f);
    assert_string_equal(buf, "tollgate sim: warning: f:1:2: m\n"
                             "tollgate sim: warning: ... and 3 more warnings "
                             "not shown\n");
    warn_list_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_formats_where),
        cmocka_unit_test(test_duplicates_once),
        cmocka_unit_test(test_control_bytes_become_spaces),
        cmocka_unit_test(test_bound_counts_dropped),
        cmocka_unit_test(test_union_keeps_order_and_dedups),
        cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
