/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The key scanner against libxlutil (scan_check.h): on hand-written
 * tricky texts, each with the keys it must find (or NULL where libxlutil
 * refuses the text), and on every cfg the tree has: the fuzz_plan corpus,
 * the golden plans' cfgs and the example.
 */
#include <dirent.h>
#include <stdlib.h>

#include "testutil.h"
#include "scan_check.h"

struct scan_case {
    const char *what;
    const char *text;
    const char *keys;   /* "a b c" in the order first set; NULL: libxlutil refuses */
};

static const struct scan_case cases[] = {
    { "empty", "", "" },
    { "blank lines and comments only", "\n\n# name = \"x\"\n   \t\n#\n", "" },
    { "a comment after a value", "name = \"a\" # memory = 1\nvcpus=2\n", "name vcpus" },
    { "a # inside strings", "a = \"#b = 1\"\nc = '# d'\n", "a c" },
    { "escaped quotes", "a = 'it\\'s'\nb = \"say \\\"hi\\\"\"\nc = '\\\\'\n", "a b c" },
    { "other escapes", "a = \"\\t\\n\\a\\b\\f\\r\\v\"\n", "a" },
    { "an escape libxlutil refuses", "a = '\\q'\n", NULL },
    { "\\x, which Xen 4.17 always refuses", "a = '\\x41'\n", NULL },
    { "= and [ inside a string", "a = 'b = [1'\nc = \"]\"\n", "a c" },
    { "a list over several lines", "disk = [\n  'a',\n\n  'b'\n  ,\n  'c',\n]\nname='x'\n",
      "disk name" },
    { "an empty list, and one of blank lines", "a = []\nb = [\n\n]\n", "a b" },
    { "nested lists", "vnuma = [ [ 'pnode=0', 'size=512' ],\n [ 'pnode=1', [ 2 ] ] ]\n",
      "vnuma" },
    { "deeply nested", "a = [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]\n", "a" },
    { "+= on strings and lists", "extra = 'a'\nextra += 'b'\ndisk = ['x']\ndisk += ['y']\n",
      "extra disk" },
    { "+= without an earlier setting", "cmdline += 'quiet'\n", "cmdline" },
    { "+= of a list to a string", "a = 'x'\na += ['y']\n", NULL },
    { "semicolons", "a = 1; b = 2;c=3;\n;;\n", "a b c" },
    { "the last line without a newline", "a = 1\nb = [ 2,\n 3 ]", "a b" },
    { "a comment on the last line without a newline", "a = 1\n# c", NULL },
    /* Fuzzing found these: flex drops one bad character at the very end. */
    { "a lone # as the last byte", "name = \"xg3\"#", "name" },
    { "a bad character as the last byte", "a = 1 $", "a" },
    { "a quote as the last byte", "a = 1\n'", "a" },
    { "a CR as the last byte", "a = 1\r", "a" },
    { "a + as the last byte", "a = [ 1 ]+", "a" },
    { "two bad characters at the end", "a = 1 $$", NULL },
    { "a bad character, then a newline", "a = 1 $\n", NULL },
    { "dots, digits and underscores in keys", "vif.default.bridge = 'x'\nx_1.2 = 3\n",
      "vif.default.bridge x_1.2" },
    { "numbers", "a = 0x10\nb = 010\nc = 1abc\nd = 9x9\n", "a b c d" },
    { "a key set twice", "memory = 1\nvcpus = 1\nmemory = 2\n", "memory vcpus" },
    { "tabs", "\ta\t=\t1\t\n", "a" },
    { "an uppercase key", "Memory = 1\n", NULL },
    { "a fraction", "a = 1.5\n", NULL },
    { "a negative number", "a = -1\n", NULL },
    { "two assignments on a line", "a = 1 b = 2\n", NULL },
    { "==", "a == 1\n", NULL },
    { "a list without commas", "a = [ 1 2 ]\n", NULL },
    { "a leading comma", "a = [ , 1 ]\n", NULL },
    { "two trailing commas", "a = [ 1,, ]\n", NULL },
    { "an unterminated string", "a = 'x\nb = 1\n", NULL },
    { "a string over two lines", "a = \"x\\\ny\"\n", NULL },
    { "the value on the next line", "a =\n1\n", NULL },
    { "the key on its own line", "a\n= 1\n", NULL },
    { "CRLF line ends", "a = 1\r\n", NULL },
    { "no key", "= 1\n", NULL },
    { "python", "a = (1)\n", NULL },
    { "a bare word as the value", "a = hvm\n", NULL },
    { "a list as a key", "[a] = 1\n", NULL },
    { "an error after good lines", "name = 'x'\nmemory = 1\nvcpus = ?\ndisk = []\n", NULL },
    { "non-ASCII", "name = 'caf\xc3\xa9'\n", "name" },
    { "non-ASCII outside a string", "name\xc3\xa9 = 1\n", NULL },
};

/* "a b c" of the keys scanned, in their order. */
static char *scanned_names(const struct cfg_scan *scan)
{
    char *names = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&names, &len);
    for (size_t i = 0; i < scan->n; i++)
        fprintf(f, "%s%s", i ? " " : "", scan->keys[i].name);
    fclose(f);
    return names;
}

static void test_tricky_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        const struct scan_case *c = &cases[i];
        char why[256] = "";
        int r = scan_check(c->text, strlen(c->text), why, sizeof(why));
        if (r != (c->keys ? 0 : 1))
            print_message("case \"%s\": scan_check %d (%s)\n", c->what, r, why);
        assert_int_equal(r, c->keys ? 0 : 1);
        if (!c->keys)
            continue;
        struct cfg_scan scan = { 0 };
        assert_int_equal(xl_cfg_scan_text(&scan, c->text, strlen(c->text), -1), 0);
        char *names = scanned_names(&scan);
        if (strcmp(names, c->keys))
            print_message("case \"%s\": scanned \"%s\", want \"%s\"\n", c->what, names, c->keys);
        assert_string_equal(names, c->keys);
        free(names);
        xl_cfg_scan_clear(&scan);
    }
}

/* Where each key was set: the line of the file, or the override. */
static void test_lines_and_overrides(void **state)
{
    (void)state;
    const char *file = "# x\nname = 'a'\n\ndisk = [\n 'x'\n]\nmemory = 1\n";
    struct cfg_scan scan = { 0 };
    assert_int_equal(xl_cfg_scan_text(&scan, file, strlen(file), -1), 0);
    assert_int_equal(xl_cfg_scan_find(&scan, "name")->line, 2);
    assert_int_equal(xl_cfg_scan_find(&scan, "disk")->line, 4);
    assert_int_equal(xl_cfg_scan_find(&scan, "memory")->line, 7);
    assert_int_equal(xl_cfg_scan_find(&scan, "memory")->override, -1);
    assert_int_equal(xl_cfg_scan_text(&scan, "memory=2", 8, 0), 0);
    assert_int_equal(xl_cfg_scan_text(&scan, "memmory=2", 9, 1), 0);
    assert_int_equal(scan.n, 4);
    assert_int_equal(xl_cfg_scan_find(&scan, "memory")->override, 0);
    assert_int_equal(xl_cfg_scan_find(&scan, "memmory")->override, 1);
    assert_null(xl_cfg_scan_find(&scan, "vcpus"));
    /* A text outside the grammar adds nothing, not even its good lines. */
    assert_int_equal(xl_cfg_scan_text(&scan, "vcpus = 1\nbad", 13, 2), -EINVAL);
    assert_int_equal(scan.n, 4);
    xl_cfg_scan_clear(&scan);
}

/* Every file of dir whose name ends with suffix ("" for any), through
 * scan_check; how many libxlutil parsed. */
static size_t check_dir(const char *dir, const char *suffix)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", getenv("srcdir") ? getenv("srcdir") : ".", dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t parsed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name), s = strlen(suffix);
        if (e->d_name[0] == '.' || n < s || strcmp(e->d_name + n - s, suffix))
            continue;
        char file[8192];
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        char *text = test_slurp(file);
        assert_non_null(text);
        char why[256] = "";
        int r = scan_check(text, strlen(text), why, sizeof(why));
        if (r < 0)
            print_message("%s: %s\n", file, why);
        assert_true(r >= 0);
        parsed += r == 0;
        free(text);
    }
    closedir(d);
    return parsed;
}

static void test_fuzz_corpus(void **state)
{
    (void)state;
    /* Most seeds parse; the crash reproducers need not. */
    assert_true(check_dir("tests/fuzz/corpus/fuzz_plan", "") >= 15);
}

static void test_golden_cfgs_and_example(void **state)
{
    (void)state;
    assert_true(check_dir("tests/unit/plans", ".cfg") >= 20);
    assert_int_equal(check_dir("docs/examples", ".cfg"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tricky_cases),
        cmocka_unit_test(test_lines_and_overrides),
        cmocka_unit_test(test_fuzz_corpus),
        cmocka_unit_test(test_golden_cfgs_and_example),
    };
    return cmocka_run_group_tests_name("xl.cfg key scanner", tests, NULL, NULL);
}
