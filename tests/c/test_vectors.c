/*
 * The shared conformance vectors through the C ABI: every *.json file of the vectors
 * directory (argv[1], default tests/vectors; adding a file needs no change here) is read
 * whole and handed to sf_conformance_check, which runs each vector through the core and
 * compares it with its expectation. Prints "file: passed/total" per file and the report
 * (`name: diff`) of every differing vector, checks the function's own contract (NULL, bad
 * UTF-8, a single vector, a mismatch), and closes with "N passed, N failed": vectors that
 * matched, and vectors that differed plus failed contract checks. Exits non-zero on any
 * failure.
 *
 * It needs no emulator and has its own main, so bindings/c/rules.mk builds it apart from
 * the harness, and runs it in the plain, ASan+UBSan and valgrind passes. The verdict is
 * read with a few lines that find a member of the top-level JSON object: no JSON library.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "surefoot.h"

static int passed, failed;

/* ----- reading the verdict: members of the top-level object ------------------------ */

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* `p` at the opening quote of a string: the character after its closing quote, or NULL. */
static const char *skip_string(const char *p) {
    for (p++; *p != '"'; p++) {
        if (*p == '\0') return NULL;
        if (*p == '\\' && *++p == '\0') return NULL;
    }
    return p + 1;
}

/* `p` at a value: the character after it, or NULL when it is malformed. */
static const char *skip_value(const char *p) {
    int depth = 0;
    if (*p != '"' && *p != '{' && *p != '[') { /* number, true, false, null */
        while (*p != '\0' && strchr(",}] \t\r\n", *p) == NULL) p++;
        return p;
    }
    do {
        if (*p == '"') {
            if ((p = skip_string(p)) == NULL) return NULL;
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            p++;
        } else if (*p == '\0') {
            return NULL;
        } else {
            p++;
        }
    } while (depth > 0);
    return p;
}

/* The value of the member `key` of the JSON object `json` (not of nested ones), or NULL. */
static const char *member(const char *json, const char *key) {
    size_t len = strlen(key);
    const char *p = skip_ws(json);
    if (*p != '{') return NULL;
    p = skip_ws(p + 1);
    while (*p == '"') {
        const char *name = p + 1, *end = skip_string(p);
        if (end == NULL) return NULL;
        p = skip_ws(end);
        if (*p != ':') return NULL;
        p = skip_ws(p + 1);
        if ((size_t)(end - 1 - name) == len && strncmp(name, key, len) == 0) return p;
        if ((p = skip_value(p)) == NULL) return NULL;
        p = skip_ws(p);
        if (*p == ',') p = skip_ws(p + 1);
    }
    return NULL;
}

/* The integer member `key`, or -1. */
static long number(const char *json, const char *key) {
    const char *v = member(json, key);
    return v != NULL && (*v == '-' || (*v >= '0' && *v <= '9')) ? strtol(v, NULL, 10) : -1;
}

static int hex4(const char *p) {
    int i, n = 0;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        n *= 16;
        if (c >= '0' && c <= '9') n += c - '0';
        else if (c >= 'a' && c <= 'f') n += c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') n += c - 'A' + 10;
        else return -1;
    }
    return n;
}

static void put_utf8(unsigned long c, FILE *out) {
    if (c < 0x80) {
        fputc((int)c, out);
    } else if (c < 0x800) {
        fputc((int)(0xC0 | (c >> 6)), out);
        fputc((int)(0x80 | (c & 0x3F)), out);
    } else if (c < 0x10000) {
        fputc((int)(0xE0 | (c >> 12)), out);
        fputc((int)(0x80 | ((c >> 6) & 0x3F)), out);
        fputc((int)(0x80 | (c & 0x3F)), out);
    } else {
        fputc((int)(0xF0 | (c >> 18)), out);
        fputc((int)(0x80 | ((c >> 12) & 0x3F)), out);
        fputc((int)(0x80 | ((c >> 6) & 0x3F)), out);
        fputc((int)(0x80 | (c & 0x3F)), out);
    }
}

/* Prints the JSON string at `p` (its opening quote) unescaped, each line after `indent`. */
static void print_string(const char *p, const char *indent, FILE *out) {
    bool line_start = true;
    if (p == NULL || *p != '"') return;
    for (p++; *p != '"' && *p != '\0'; p++) {
        unsigned long c = (unsigned char)*p;
        bool escaped = c == '\\';
        if (escaped) {
            switch (*++p) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                int u = hex4(p + 1);
                if (u < 0) return;
                p += 4;
                c = (unsigned long)u;
                if (u >= 0xD800 && u < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
                    int low = hex4(p + 3);
                    if (low >= 0xDC00 && low < 0xE000) {
                        c = 0x10000 + (((unsigned long)u - 0xD800) << 10) +
                            ((unsigned long)low - 0xDC00);
                        p += 6;
                    }
                }
                break;
            }
            case '\0': return;
            default: c = (unsigned char)*p; /* \" \\ \/ */
            }
        }
        if (line_start) fputs(indent, out);
        line_start = c == '\n';
        if (escaped) put_utf8(c, out);
        else fputc((int)c, out); /* raw UTF-8 bytes as they are */
    }
    if (!line_start) fputc('\n', out);
}

/* ----- the vector files --------------------------------------------------------------- */

/* The whole file as a NUL-terminated string (caller frees), or NULL. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    if (f == NULL) return NULL;
    do {
        if (cap - len < 4096) {
            char *bigger = realloc(text, cap = cap * 2 + 65536);
            if (bigger == NULL) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = bigger;
        }
        n = fread(text + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    if (ferror(f)) {
        free(text);
        text = NULL;
    } else {
        text[len] = '\0';
    }
    fclose(f);
    return text;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the *.json files of `dir`, sorted (caller frees each and the array). */
static char **json_files(const char *dir, size_t *count) {
    DIR *d = opendir(dir);
    struct dirent *entry;
    char **names = NULL;
    size_t n = 0, cap = 0;
    *count = 0;
    if (d == NULL) return NULL;
    while ((entry = readdir(d)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len <= 5 || strcmp(entry->d_name + len - 5, ".json") != 0) continue;
        if (strcmp(entry->d_name, "options.json") == 0) continue; /* tests/c/test_options.c */
        if (n == cap) {
            char **bigger = realloc(names, (cap = cap * 2 + 16) * sizeof *names);
            if (bigger == NULL) break;
            names = bigger;
        }
        if ((names[n] = malloc(len + 1)) == NULL) break;
        memcpy(names[n++], entry->d_name, len + 1);
    }
    closedir(d);
    if (names != NULL) qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names;
}

/* Runs one file through sf_conformance_check; adds its vectors to the totals. */
static void run_file(const char *dir, const char *name) {
    char path[4096];
    char *text, *verdict = NULL;
    bool all_ok = false;
    sf_error *err = NULL;
    sf_result r;
    long total, ok_count, bad_count;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((text = read_file(path)) == NULL) {
        printf("%s: cannot be read\n", path);
        failed++;
        return;
    }
    r = sf_conformance_check(text, &all_ok, &verdict, &err);
    free(text);
    if (r != SF_OK) {
        printf("%s: sf_conformance_check returned %s: %s: %s\n", name, sf_result_name((int)r),
               sf_error_code(err), sf_error_message(err));
        sf_error_free(err);
        failed++;
        return;
    }
    total = number(verdict, "total");
    ok_count = number(verdict, "passed");
    bad_count = number(verdict, "failed");
    if (total < 0 || ok_count < 0 || bad_count < 0) {
        /* Not a file with a `vectors` array: the verdict of the document as one vector. */
        printf("%s: not a vector file:\n  %s\n", name, verdict);
        failed++;
    } else {
        printf("%s: %ld/%ld\n", name, ok_count, total);
        passed += (int)ok_count;
        failed += (int)bad_count;
        if (!all_ok) {
            print_string(member(verdict, "report"), "  DIFF ", stdout);
            if (bad_count == 0) failed++; /* e.g. `vectors` is not an array */
        } else if (bad_count != 0 || ok_count != total) {
            printf("  all_ok is true but %ld of %ld differ\n", bad_count, total);
            failed++;
        }
    }
    sf_string_free(verdict);
}

/* ----- the function's own contract ---------------------------------------------------- */

static int contract_failures;

#define EXPECT(cond)                                                                      \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            printf("  FAIL contract (%s:%d): %s\n", __FILE__, __LINE__, #cond);           \
            contract_failures++;                                                          \
        }                                                                                 \
    } while (0)

static void check_contract(void) {
    static const char one[] = "{\"family\": \"retry_after\", \"name\": \"c: three seconds\","
                              " \"input\": {\"headers\": [[\"Retry-After\", \"3\"]]},"
                              " \"expected\": {\"wait_ms\": 3000}}";
    static const char wrong[] = "{\"family\": \"retry_after\", \"name\": \"c: a mismatch\","
                                " \"input\": {\"headers\": [[\"Retry-After\", \"3\"]]},"
                                " \"expected\": {\"wait_ms\": 4000}}";
    static const char not_utf8[] = "{\"name\": \"\xff\"}";
    char untouched[] = "untouched";
    char *verdict = untouched;
    bool all_ok = true;
    sf_error *err = NULL;
    const char *v;

    /* NULL arguments and bad UTF-8: an error, the out-parameters left alone. */
    EXPECT(sf_conformance_check(NULL, &all_ok, &verdict, &err) == SF_NULL_PARAMETER);
    EXPECT(err != NULL && strcmp(sf_error_code(err), "null_parameter") == 0);
    EXPECT(err != NULL && strstr(sf_error_message(err), "vector_json") != NULL);
    sf_error_free(err);
    err = NULL;
    EXPECT(sf_conformance_check(one, NULL, &verdict, NULL) == SF_NULL_PARAMETER);
    EXPECT(sf_conformance_check(one, &all_ok, NULL, NULL) == SF_NULL_PARAMETER);
    EXPECT(sf_conformance_check(not_utf8, &all_ok, &verdict, &err) == SF_INVALID_ARGUMENT);
    EXPECT(err != NULL && sf_error_kind(err) == SF_KIND_INVALID_REQUEST);
    sf_error_free(err);
    err = NULL;
    EXPECT(all_ok && verdict == untouched);

    /* One vector, not a file: its own verdict. */
    EXPECT(sf_conformance_check(one, &all_ok, &verdict, &err) == SF_OK);
    EXPECT(err == NULL && all_ok && verdict != untouched && verdict != NULL);
    if (verdict != untouched && verdict != NULL) {
        v = member(verdict, "ok");
        EXPECT(v != NULL && strncmp(v, "true", 4) == 0);
        v = member(verdict, "observed");
        EXPECT(v != NULL && number(v, "wait_ms") == 3000);
        sf_string_free(verdict);
    }

    /* A mismatch is SF_OK with all_ok false and the difference in `diff`. */
    verdict = untouched;
    EXPECT(sf_conformance_check(wrong, &all_ok, &verdict, &err) == SF_OK);
    EXPECT(err == NULL && !all_ok && verdict != untouched && verdict != NULL);
    if (verdict != untouched && verdict != NULL) {
        v = member(verdict, "ok");
        EXPECT(v != NULL && strncmp(v, "false", 5) == 0);
        v = member(verdict, "diff");
        EXPECT(v != NULL && strstr(v, "expected 4000, observed 3000") != NULL);
        sf_string_free(verdict);
    }

    sf_string_free(NULL);
    printf("%s sf_conformance_check contract (NULL, bad UTF-8, one vector, a mismatch)\n",
           contract_failures == 0 ? "ok  " : "FAIL");
    failed += contract_failures;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    size_t count = 0, i;
    char **names = json_files(dir, &count);

    check_contract();
    if (count == 0) {
        printf("no *.json vector files in %s\n", dir);
        failed++;
    }
    for (i = 0; i < count; i++) {
        run_file(dir, names[i]);
        free(names[i]);
        fflush(stdout);
    }
    free(names);
    if (passed == 0 && failed == 0) failed++; /* files without a single vector */
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
