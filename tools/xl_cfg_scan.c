/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The keys an xl.cfg sets, found by following Xen 4.17's libxlutil:
 *
 *   lexer (libxlu_cfg_l.l)      IDENT   [a-z][._0-9a-z]*
 *                               NUMBER  [0-9][0-9a-fx]*
 *                               STRING  '...' or "..." on one line, a
 *                                       backslash escaping any character
 *                               NEWLINE \n, or a # comment up to its \n
 *                               , [ ] = += ;   blanks: space and tab only
 *   parser (libxlu_cfg_y.y)     file:   { [IDENT ("=" | "+=") value] (NEWLINE | ";") }
 *                                       (the last statement may end the file)
 *                               value:  STRING | NUMBER
 *                                     | "[" nl* [value nl* { "," nl* value nl* } ["," nl*]] "]"
 *
 * Anything else is an error for libxlutil (it rejects the whole file, so
 * a statement it skips in error recovery never counts); here too, except
 * where libxlutil lets it pass: one bad character as the last byte. The
 * escapes inside a string are not checked: a file whose keys matter has
 * passed libxlutil first. Values are skipped, not kept.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xl_cfg_scan.h"

enum token {
    TOK_END, TOK_ERROR, TOK_IDENT, TOK_NUMBER, TOK_STRING, TOK_NEWLINE,
    TOK_ASSIGN, TOK_ADD, TOK_COMMA, TOK_OPEN, TOK_CLOSE, TOK_SEMICOLON,
};

struct lexer {
    const char *p, *end;
    int line;
    /* The last token's text (an IDENT's name) and line. */
    const char *text;
    size_t text_len;
    int text_line;
};

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* The end of the run of characters from set starting at p. */
static const char *run_of(const char *p, const char *end, const char *set)
{
    while (p < end && *p && strchr(set, *p))
        p++;
    return p;
}

/* A quoted string from the quote at lx->p: no newline inside, a backslash
 * takes the next character (not a newline) whatever it is. */
static enum token lex_string(struct lexer *lx)
{
    char quote = *lx->p++;
    while (lx->p < lx->end && *lx->p != quote) {
        if (*lx->p == '\n')
            return TOK_ERROR;
        if (*lx->p == '\\' && (++lx->p == lx->end || *lx->p == '\n'))
            return TOK_ERROR;
        lx->p++;
    }
    if (lx->p == lx->end)
        return TOK_ERROR;
    lx->p++;
    return TOK_STRING;
}

/* A comment runs to its newline, which ends the statement; a comment on
 * the last line with no newline is a lexical error for libxlutil. */
static enum token lex_comment(struct lexer *lx)
{
    const char *nl = memchr(lx->p, '\n', lx->end - lx->p);
    if (!nl)
        return TOK_ERROR;
    lx->p = nl + 1;
    lx->line++;
    return TOK_NEWLINE;
}

static enum token lex_punct(struct lexer *lx)
{
    static const char single[] = ",[]=;";
    static const enum token tokens[] = { TOK_COMMA, TOK_OPEN, TOK_CLOSE, TOK_ASSIGN,
                                         TOK_SEMICOLON };
    char c = *lx->p++;
    if (c == '\n') {
        lx->line++;
        return TOK_NEWLINE;
    }
    if (c == '+') {
        if (lx->p == lx->end || *lx->p != '=')
            return TOK_ERROR;
        lx->p++;
        return TOK_ADD;
    }
    const char *at = c ? strchr(single, c) : NULL;
    return at ? tokens[at - single] : TOK_ERROR;
}

static enum token lex_next(struct lexer *lx)
{
    lx->p = run_of(lx->p, lx->end, " \t");
    lx->text = lx->p;
    lx->text_line = lx->line;
    if (lx->p == lx->end)
        return TOK_END;
    char c = *lx->p;
    enum token t;
    if (is_lower(c)) {
        lx->p = run_of(lx->p + 1, lx->end, "._0123456789abcdefghijklmnopqrstuvwxyz");
        t = TOK_IDENT;
    } else if (is_digit(c)) {
        lx->p = run_of(lx->p + 1, lx->end, "0123456789abcdefx");
        t = TOK_NUMBER;
    } else if (c == '\'' || c == '"')
        t = lex_string(lx);
    else if (c == '#')
        t = lex_comment(lx);
    else
        t = lex_punct(lx);
    /* libxlutil's lexer takes a character no token starts with into its
     * error state and reports it with what follows; as the last byte of
     * the text, nothing follows and flex ends quietly: no error, no token. */
    if (t == TOK_ERROR && lx->text + 1 == lx->end)
        t = TOK_END;
    lx->text_len = lx->p - lx->text;
    return t;
}

/* The next token that is not a NEWLINE (inside a list, where newlines
 * may stand between the brackets, values and commas). */
static enum token lex_next_in_list(struct lexer *lx)
{
    enum token t;
    while ((t = lex_next(lx)) == TOK_NEWLINE)
        ;
    return t;
}

/*
 * Skip the value that starts with token t. Lists nest to any depth, so
 * they are counted rather than recursed into.
 */
static int skip_value(struct lexer *lx, enum token t)
{
    size_t depth = 0;
    for (;;) {
        if (t == TOK_OPEN) {
            depth++;
            t = lex_next_in_list(lx);
            if (t != TOK_CLOSE)
                continue;           /* a value starts the list */
        } else if (t != TOK_STRING && t != TOK_NUMBER)
            return -EINVAL;
        else
            t = TOK_END;            /* a value is done */
        /* t is CLOSE for a list just closed, END after a value. */
        for (;;) {
            if (t == TOK_CLOSE)
                depth--;
            if (depth == 0)
                return 0;
            t = lex_next_in_list(lx);
            if (t == TOK_COMMA) {
                t = lex_next_in_list(lx);
                if (t != TOK_CLOSE)
                    break;          /* the next value of the list */
            } else if (t != TOK_CLOSE)
                return -EINVAL;
        }
    }
}

static int scan_record(struct cfg_scan *scan, const char *name, size_t len, int line,
                       int override)
{
    for (size_t i = 0; i < scan->n; i++)
        if (strlen(scan->keys[i].name) == len && !memcmp(scan->keys[i].name, name, len)) {
            scan->keys[i].line = line;
            scan->keys[i].override = override;
            return 0;
        }
    struct cfg_key_set *keys = realloc(scan->keys, (scan->n + 1) * sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    scan->keys = keys;
    char *copy = strndup(name, len);
    if (!copy)
        return -ENOMEM;
    keys[scan->n++] = (struct cfg_key_set){ .name = copy, .line = line, .override = override };
    return 0;
}

/* One statement from its first token t: [IDENT (= | +=) value] then the
 * end of the statement. Its key goes into found. */
static int scan_statement(struct lexer *lx, enum token t, struct cfg_scan *found, int override)
{
    if (t == TOK_IDENT) {
        const char *name = lx->text;
        size_t len = lx->text_len;
        int line = lx->text_line;
        t = lex_next(lx);
        if (t != TOK_ASSIGN && t != TOK_ADD)
            return -EINVAL;
        int r = skip_value(lx, lex_next(lx));
        if (!r)
            r = scan_record(found, name, len, line, override);
        if (r)
            return r;
        t = lex_next(lx);
    }
    return t == TOK_NEWLINE || t == TOK_SEMICOLON || t == TOK_END ? 0 : -EINVAL;
}

int xl_cfg_scan_text(struct cfg_scan *scan, const char *text, size_t len, int override)
{
    struct lexer lx = { .p = text, .end = text + len, .line = 1 };
    struct cfg_scan found = { 0 };
    enum token t;
    int r = 0;
    while (!r && (t = lex_next(&lx)) != TOK_END)
        r = scan_statement(&lx, t, &found, override);
    /* All or nothing: a file libxlutil refuses sets no key. */
    for (size_t i = 0; !r && i < found.n; i++)
        r = scan_record(scan, found.keys[i].name, strlen(found.keys[i].name),
                        found.keys[i].line, override);
    xl_cfg_scan_clear(&found);
    return r;
}

const struct cfg_key_set *xl_cfg_scan_find(const struct cfg_scan *scan, const char *name)
{
    for (size_t i = 0; i < scan->n; i++)
        if (!strcmp(scan->keys[i].name, name))
            return &scan->keys[i];
    return NULL;
}

void xl_cfg_scan_clear(struct cfg_scan *scan)
{
    for (size_t i = 0; i < scan->n; i++)
        free(scan->keys[i].name);
    free(scan->keys);
    *scan = (struct cfg_scan){ 0 };
}
