/*
 * head_oracle.h: the properties every cep_http head parse must have, shared by
 * the request and response harnesses.
 *
 * 1. Same verdict at any split: the input is parsed whole, one byte at a time
 *    (the unread tail ASan-poisoned, so a read past `len` is a crash), and in
 *    random pieces with every call given a fresh exact-size copy (the buffer
 *    "possibly moved", as cep_http.h allows). Result, error and every offset
 *    must agree.
 * 2. A verdict is final: calling again with the whole input repeats it.
 * 3. A complete head is well formed: it ends in CRLF CRLF inside the input,
 *    its start line and fields lie inside it and hold only the bytes RFC 9112
 *    allows there, values are trimmed, and the framing result agrees with the
 *    Content-Length / Transfer-Encoding fields it came from.
 * 4. cep_http_reset makes a used state equivalent to a zeroed one.
 */
#ifndef HEAD_ORACLE_H
#define HEAD_ORACLE_H

#include "cep_http.h"
#include "fuzz_split.h"

#include <sanitizer/asan_interface.h>
#include <string.h>

#define ORACLE_FIELDS 128

typedef struct head_run {
    int result;
    cep_http_head head;
    cep_http_field fields[ORACLE_FIELDS];
} head_run;

static int oracle_parse(int is_response, cep_http_head *head, const char *buf, size_t len)
{
    return is_response ? cep_http_parse_response(head, buf, len) : cep_http_parse_request(head, buf, len);
}

static void oracle_begin(head_run *run, uint32_t fields_cap)
{
    /* Garbage first, then reset: property 4. */
    memset(&run->head, 0xA5, sizeof(run->head));
    run->head.fields = run->fields;
    run->head.fields_cap = fields_cap;
    cep_http_reset(&run->head);
    run->result = CEP_HTTP_PARTIAL;
}

/* Feeds `data` by `schedule` until a verdict; pieces are fresh copies. */
static void oracle_feed_moved(int is_response, head_run *run, const uint8_t *data, size_t size,
                              fuzz_schedule schedule)
{
    size_t have = 0;
    if (size == 0) {
        run->result = oracle_parse(is_response, &run->head, "", 0);
        return;
    }
    while (have < size) {
        have += fuzz_step(&schedule, size - have);
        char *copy = malloc(have);
        memcpy(copy, data, have);
        run->result = oracle_parse(is_response, &run->head, copy, have);
        free(copy);
        if (run->result != CEP_HTTP_PARTIAL)
            return;
    }
}

/* Feeds `data` one byte at a time in one buffer whose unread tail is poisoned. */
static void oracle_feed_bytewise(int is_response, head_run *run, const uint8_t *data, size_t size)
{
    char *buffer = malloc(size ? size : 1);
    memcpy(buffer, data, size);
    ASAN_POISON_MEMORY_REGION(buffer, size);
    run->result = oracle_parse(is_response, &run->head, buffer, 0);
    for (size_t have = 1; have <= size && run->result == CEP_HTTP_PARTIAL; have++) {
        ASAN_UNPOISON_MEMORY_REGION(buffer, have);
        run->result = oracle_parse(is_response, &run->head, buffer, have);
    }
    ASAN_UNPOISON_MEMORY_REGION(buffer, size);
    free(buffer);
}

static void oracle_same(const head_run *a, const head_run *b, const char *schedule)
{
    fuzz_schedule_name = schedule;
    fuzz_require(a->result == b->result, "same result at every split");
    fuzz_require(a->head.error == b->head.error, "same error at every split");
    if (a->result <= 0)
        return;
    const cep_http_head *x = &a->head, *y = &b->head;
    fuzz_require(x->method_off == y->method_off && x->method_len == y->method_len, "same method");
    fuzz_require(x->target_off == y->target_off && x->target_len == y->target_len, "same target");
    fuzz_require(x->status == y->status, "same status");
    fuzz_require(x->reason_off == y->reason_off && x->reason_len == y->reason_len, "same reason");
    fuzz_require(x->version_minor == y->version_minor, "same version");
    fuzz_require(x->field_count == y->field_count, "same field count");
    fuzz_require(x->content_length == y->content_length, "same content length");
    fuzz_require(x->flags == y->flags, "same flags");
    fuzz_require(memcmp(a->fields, b->fields, x->field_count * sizeof(cep_http_field)) == 0, "same fields");
}

static int oracle_is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Case-insensitive equality with a lowercase literal. */
static int oracle_equal_ci(const uint8_t *bytes, size_t n, const char *literal)
{
    if (strlen(literal) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = bytes[i] >= 'A' && bytes[i] <= 'Z' ? bytes[i] | 0x20 : bytes[i];
        if (c != (uint8_t)literal[i])
            return 0;
    }
    return 1;
}

static int oracle_name_is(const uint8_t *data, const cep_http_field *f, const char *name)
{
    return oracle_equal_ci(data + f->name_off, f->name_len, name);
}

/* Every comma-separated element of a Content-Length value is `value` in decimal. */
static int oracle_content_length_list_is(const uint8_t *v, size_t n, int64_t value)
{
    size_t i = 0;
    for (;;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        int64_t parsed = 0;
        size_t digits = 0;
        while (i < n && v[i] >= '0' && v[i] <= '9') {
            int digit = v[i++] - '0';
            if (parsed > (INT64_MAX - digit) / 10)
                return 0;
            parsed = parsed * 10 + digit;
            digits++;
        }
        if (digits == 0 || parsed != value)
            return 0;
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (i == n)
            return 1;
        if (v[i++] != ',')
            return 0;
    }
}

/* Property 3, on the whole-input run. */
static void oracle_well_formed(int is_response, const head_run *run, const uint8_t *data, size_t size,
                               uint32_t fields_cap)
{
    const cep_http_head *h = &run->head;
    if (run->result == CEP_HTTP_PARTIAL) {
        fuzz_require(size <= CEP_HTTP_MAX_HEAD, "partial only below the head limit");
        fuzz_require(h->error == CEP_HTTP_ERR_NONE, "partial carries no error");
        return;
    }
    if (run->result == CEP_HTTP_INVALID) {
        fuzz_require(h->error >= CEP_HTTP_ERR_MALFORMED && h->error <= CEP_HTTP_ERR_VERSION, "invalid names a reason");
        fuzz_require(!is_response || h->error != CEP_HTTP_ERR_LINE_TOO_LONG, "no request-line limit on responses");
        return;
    }
    size_t r = (size_t)run->result;
    fuzz_require(run->result > 0 && r <= size && r <= CEP_HTTP_MAX_HEAD, "head length inside the input");
    fuzz_require(h->error == CEP_HTTP_ERR_NONE, "complete head has no error");
    fuzz_require(r >= 4 && memcmp(data + r - 4, "\r\n\r\n", 4) == 0, "head ends in CRLF CRLF");
    fuzz_require(h->version_minor == 0 || h->version_minor == 1, "HTTP/1.0 or HTTP/1.1");

    if (is_response) {
        fuzz_require(memcmp(data, "HTTP/1.", 7) == 0 && data[7] == '0' + h->version_minor && data[8] == ' ',
                     "status line starts with the version");
        fuzz_require(h->status >= 100 && h->status <= 999, "status is 3 digits");
        fuzz_require((data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0') == h->status, "status as sent");
        fuzz_require(h->reason_off >= 12 && h->reason_off + h->reason_len <= r - 4, "reason inside the status line");
        fuzz_require(data[h->reason_off + h->reason_len] == '\r', "reason runs to CR");
        for (uint32_t i = 0; i < h->reason_len; i++) {
            uint8_t c = data[h->reason_off + i];
            fuzz_require(c == '\t' || (c >= 0x20 && c != 0x7f), "reason bytes are VCHAR, SP, HTAB or obs-text");
        }
        fuzz_require(!(h->flags & CEP_HTTP_F_EXPECT_CONTINUE), "Expect is for requests");
    } else {
        fuzz_require(h->method_len > 0 && h->method_off + h->method_len < r, "method inside the head");
        for (uint32_t i = 0; i < h->method_len; i++)
            fuzz_require(oracle_is_tchar(data[h->method_off + i]), "method is a token");
        fuzz_require(data[h->method_off + h->method_len] == ' ' && h->target_off == h->method_off + h->method_len + 1,
                     "one SP between method and target");
        fuzz_require(h->target_len > 0 && h->target_off + h->target_len + 11 <= r, "target inside the head");
        for (uint32_t i = 0; i < h->target_len; i++)
            fuzz_require(data[h->target_off + i] > 0x20 && data[h->target_off + i] < 0x7f, "target is VCHAR");
        const uint8_t *version = data + h->target_off + h->target_len;
        fuzz_require(memcmp(version, " HTTP/1.", 8) == 0 && version[8] == '0' + h->version_minor
                         && memcmp(version + 9, "\r\n", 2) == 0,
                     "target is followed by the version and CRLF");
        for (uint32_t i = 0; i < h->method_off; i += 2)
            fuzz_require(data[i] == '\r' && data[i + 1] == '\n', "only empty lines before the request line");
    }

    uint32_t limit = fields_cap < CEP_HTTP_MAX_HEADERS ? fields_cap : CEP_HTTP_MAX_HEADERS;
    fuzz_require(h->field_count <= limit, "field count within the caller's capacity and the limit");
    int content_length_fields = 0, transfer_encoding_fields = 0;
    for (uint32_t i = 0; i < h->field_count; i++) {
        const cep_http_field *f = &run->fields[i];
        fuzz_require(f->name_len > 0 && f->name_off + f->name_len < r, "field name inside the head");
        fuzz_require(data[f->name_off - 1] == '\n', "field name starts a line");
        for (uint32_t j = 0; j < f->name_len; j++)
            fuzz_require(oracle_is_tchar(data[f->name_off + j]), "field name is a token");
        fuzz_require(data[f->name_off + f->name_len] == ':', "field name ends at the colon");
        fuzz_require(f->value_off > f->name_off + f->name_len && f->value_off + f->value_len <= r - 2, "value inside the head");
        for (uint32_t j = 0; j < f->value_len; j++) {
            uint8_t c = data[f->value_off + j];
            fuzz_require(c == '\t' || (c >= 0x20 && c != 0x7f), "value bytes are field-vchar, SP or HTAB");
        }
        if (f->value_len > 0) {
            uint8_t first = data[f->value_off], last = data[f->value_off + f->value_len - 1];
            fuzz_require(first != ' ' && first != '\t' && last != ' ' && last != '\t', "value trimmed of OWS");
        }
        fuzz_require(data[f->value_off + f->value_len] == '\r' || data[f->value_off + f->value_len] == ' '
                         || data[f->value_off + f->value_len] == '\t',
                     "value ends at OWS or CR");
        if (i + 1 < h->field_count)
            fuzz_require(run->fields[i + 1].name_off > f->value_off + f->value_len, "fields in order");
        if (oracle_name_is(data, f, "content-length")) {
            content_length_fields++;
            fuzz_require(oracle_content_length_list_is(data + f->value_off, f->value_len, h->content_length),
                         "every Content-Length element is the folded value");
        }
        if (oracle_name_is(data, f, "transfer-encoding")) {
            transfer_encoding_fields++;
            fuzz_require(f->value_len == 7 && oracle_name_is(data, &(cep_http_field){f->value_off, 7, 0, 0}, "chunked"),
                         "the only Transfer-Encoding accepted is chunked");
        }
    }
    /* Every line between the start line and the empty line is a listed field:
     * fields past the caller's capacity are refused, never dropped. */
    uint32_t line_ends = 0;
    for (size_t i = is_response ? 0 : h->method_off; i + 1 < r; i++)
        line_ends += data[i] == '\r' && data[i + 1] == '\n';
    fuzz_require(line_ends == h->field_count + 2, "one field per field line");
    fuzz_require((content_length_fields > 0) == (h->content_length >= 0), "Content-Length set exactly when sent");
    fuzz_require(h->content_length >= -1, "Content-Length is -1 or a length");
    fuzz_require((transfer_encoding_fields > 0) == ((h->flags & CEP_HTTP_F_CHUNKED) != 0), "chunked exactly when sent");
    fuzz_require(transfer_encoding_fields <= 1, "Transfer-Encoding at most once");
    fuzz_require(!(content_length_fields && transfer_encoding_fields), "never both framings");
    fuzz_require(!transfer_encoding_fields || h->version_minor == 1, "no Transfer-Encoding in HTTP/1.0");
}

/* Runs every property on one input. */
static void oracle_check_head(int is_response, const uint8_t *data, size_t size)
{
    uint32_t seed = fuzz_seed(data, size);
    /* Mostly room for every field; sometimes a small caller array. */
    uint32_t fields_cap = (seed & 7) == 0 ? (seed >> 3) % 6 : (seed & 7) == 1 ? ORACLE_FIELDS : 100;

    static head_run whole, bytewise, small_pieces, large_pieces;
    fuzz_schedule_name = "whole";
    oracle_begin(&whole, fields_cap);
    oracle_feed_moved(is_response, &whole, data, size, (fuzz_schedule){0, 0});
    oracle_well_formed(is_response, &whole, data, size, fields_cap);

    oracle_begin(&bytewise, fields_cap);
    oracle_feed_bytewise(is_response, &bytewise, data, size);
    oracle_same(&whole, &bytewise, "bytewise");

    oracle_begin(&small_pieces, fields_cap);
    oracle_feed_moved(is_response, &small_pieces, data, size, (fuzz_schedule){16, seed | 1});
    oracle_same(&whole, &small_pieces, "small pieces");

    oracle_begin(&large_pieces, fields_cap);
    oracle_feed_moved(is_response, &large_pieces, data, size,
                      (fuzz_schedule){size / 3 + 1, seed * 2654435761u | 1});
    oracle_same(&whole, &large_pieces, "large pieces");

    /* Property 2: a verdict is final, even when more bytes arrive. */
    if (whole.result != CEP_HTTP_PARTIAL) {
        fuzz_schedule_name = "called again";
        char *copy = malloc(size ? size : 1);
        memcpy(copy, data, size);
        int again = oracle_parse(is_response, &small_pieces.head, copy, size);
        free(copy);
        fuzz_require(again == whole.result, "verdict repeated when called again");
    }
}

#endif /* HEAD_ORACLE_H */
