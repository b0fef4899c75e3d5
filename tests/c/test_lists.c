/*
 * Lists and bulk work from C: a Specala list walked to the end with the pager (every item
 * once, newest first, SF_DONE at the end and after), page-size checks, and a bulk export
 * of 250 ids that the core sends as three requests of at most 100, in order.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "harness.h"

/* The emulator is started with 300 transcriptions per workspace (tests/c/run.sh). */
#define CORPUS 300

void test_pagination_to_the_end(void) {
    sf_client *client = sf_t_client(SF_API_SPECALA, SPK_ALPHA, 3, -1);
    sf_pager *pager = NULL;
    sf_error *err = NULL;
    const char *item = NULL;
    size_t len = 0;
    int count = 0, in_order = 1;
    sf_result r;

    emu_reset(specala_url());
    CHECK_RESULT(sf_client_paginate(client, "/v1/transcriptions", 100, &pager, &err), SF_OK, err);
    CHECK_INT(emu_stat(specala_url(), "total_requests"), 0); /* lazy */
    while ((r = sf_pager_next(pager, &item, &len, &err)) == SF_OK) {
        char expected[64];
        snprintf(expected, sizeof expected, "\"id\":\"tr_alpha_%06d\"", CORPUS - 1 - count);
        if (!sf_t_contains(item, expected)) in_order = 0;
        CHECK(strlen(item) == len);
        count++;
    }
    CHECK_RESULT(r, SF_DONE, err);
    CHECK_INT(count, CORPUS);
    CHECK(in_order);
    item = "untouched";
    CHECK_RESULT(sf_pager_next(pager, &item, &len, &err), SF_DONE, err);
    CHECK_STR(item, "untouched");
    CHECK_INT(emu_count(specala_url(), "GET /v1/transcriptions", "200"), 3);
    sf_pager_free(pager);
    sf_error_free(err);
    sf_client_free(client);
}

void test_pagination_limits(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_pager *pager = NULL;
    sf_error *err = NULL;
    const char *item = NULL;
    size_t len = 0;
    int count = 0;

    /* Out of range: the core refuses it on the first item, before anything is sent. */
    CHECK_RESULT(sf_client_paginate(client, "/v1/transcription/jobs", 0, &pager, &err), SF_OK, err);
    CHECK_RESULT(sf_pager_next(pager, &item, &len, &err), SF_INVALID_ARGUMENT, err);
    CHECK_STR(sf_error_message(err), "limit must be between 1 and 100 (got 0)");
    sf_error_free(err);
    err = NULL;
    sf_pager_free(pager);
    pager = NULL;
    CHECK_RESULT(sf_client_paginate(client, "/v1/transcription/jobs", -5, &pager, &err), SF_OK, err);
    CHECK_RESULT(sf_pager_next(pager, &item, &len, &err), SF_INVALID_ARGUMENT, err);
    CHECK_STR(sf_error_message(err), "limit must be between 1 and 100 (got -5)");
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_pager_next(pager, &item, &len, &err), SF_DONE, err);
    sf_pager_free(pager);
    pager = NULL;
    /* -1: the server's default page size; the jobs made by earlier tests are listed. */
    CHECK_RESULT(sf_client_paginate(client, "/v1/transcription/jobs", -1, &pager, &err), SF_OK, err);
    while (sf_pager_next(pager, &item, &len, &err) == SF_OK) {
        CHECK(sf_t_contains(item, "\"id\":\"job_"));
        count++;
    }
    CHECK(err == NULL);
    CHECK(count >= 5);
    sf_pager_free(pager);
    sf_error_free(err);

    /* An error page reaches C through sf_pager_next, then the walk is done. */
    err = NULL;
    pager = NULL;
    CHECK_RESULT(sf_client_paginate(client, "/v1/transcription/jobs?cursor=bogus", 10, &pager, &err), SF_OK, err);
    CHECK_RESULT(sf_pager_next(pager, &item, &len, &err), SF_API_ERROR, err);
    CHECK_STR(sf_error_code(err), "invalid_cursor");
    CHECK_INT(sf_error_status(err), 400);
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_pager_next(pager, &item, &len, &err), SF_DONE, err);
    sf_pager_free(pager);
    sf_error_free(err);
    sf_client_free(client);
}

void test_bulk_export_250_ids(void) {
    sf_client *client = sf_t_client(SF_API_SPECALA, SPK_ALPHA, 3, -1);
    sf_exports *exports = NULL;
    sf_error *err = NULL;
    char storage[250][32];
    const char *ids[250];
    size_t i;
    int in_order = 1, has_content = 1;

    for (i = 0; i < 250; i++) {
        snprintf(storage[i], sizeof storage[i], "tr_alpha_%06u", (unsigned)i);
        ids[i] = storage[i];
    }
    emu_reset(specala_url());
    CHECK_RESULT(sf_specala_bulk_export(client, ids, 250, "txt", &exports, &err), SF_OK, err);
    CHECK_INT(sf_exports_count(exports), 250);
    for (i = 0; i < sf_exports_count(exports); i++) {
        if (!sf_t_streq(sf_exports_id(exports, i), ids[i])) in_order = 0;
        if (sf_exports_content(exports, i) == NULL || strlen(sf_exports_content(exports, i)) == 0)
            has_content = 0;
    }
    CHECK(in_order);
    CHECK(has_content);
    CHECK(sf_exports_id(exports, 250) == NULL);
    CHECK(sf_exports_content(exports, 250) == NULL);
    /* 250 ids: three bulk requests (100 + 100 + 50), never one per transcription. */
    CHECK_INT(emu_count(specala_url(), "POST /v1/transcriptions/export", "200"), 3);
    CHECK_INT(emu_stat(specala_url(), "total_requests"), 3);
    sf_exports_free(exports);
    sf_error_free(err);
    sf_client_free(client);
}

void test_bulk_export_nothing(void) {
    sf_client *client = sf_t_client(SF_API_SPECALA, SPK_ALPHA, 3, -1);
    sf_exports *exports = NULL;
    sf_error *err = NULL;
    emu_reset(specala_url());
    CHECK_RESULT(sf_specala_bulk_export(client, NULL, 0, NULL, &exports, &err), SF_OK, err);
    CHECK_INT(sf_exports_count(exports), 0);
    CHECK(sf_exports_id(exports, 0) == NULL);
    CHECK_INT(emu_stat(specala_url(), "total_requests"), 0);
    sf_exports_free(exports);
    sf_error_free(err);
    sf_client_free(client);
}
