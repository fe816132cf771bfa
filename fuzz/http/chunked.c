/*
 * libFuzzer harness: cep_chunked_decode (RFC 9112 section 7.1).
 *
 * 1. Arbitrary bytes as a chunked body, fed whole, one byte at a time, and in
 *    random pieces (each copied into a buffer poisoned past the piece):
 *    the verdict, the decoded data and the leftover must agree, the leftover
 *    must be exactly the input's tail, and a verdict must be final.
 * 2. The input's bytes as body data, encoded here with chunk sizes, hex case,
 *    leading zeros, extensions and trailers chosen from the seed, then followed
 *    by the start of a next message: decoding must succeed at any split and
 *    give back exactly the data and the next message's bytes.
 */
#include "cep_http.h"
#include "fuzz_split.h"

#include <sanitizer/asan_interface.h>
#include <string.h>

typedef struct chunked_run {
    ssize_t verdict;    /* >= 0 done (leftover length), PARTIAL or INVALID */
    uint8_t *data;      /* decoded body bytes */
    size_t data_len;
    uint8_t *leftover;  /* bytes after the final CRLF */
    size_t leftover_len;
} chunked_run;

/* Decodes `input` fed by `schedule`. Each piece is copied to the start of one scratch buffer
 * whose bytes past the piece are ASan-poisoned, so reading or writing beyond `*len` crashes
 * (decoding is in place, so every piece needs its own copy anyway). */
static void chunked_decode(chunked_run *run, const uint8_t *input, size_t size, fuzz_schedule schedule)
{
    cep_chunked decoder = {0};
    size_t consumed = 0;
    char *piece = malloc(size ? size : 1);
    ASAN_POISON_MEMORY_REGION(piece, size);
    run->verdict = CEP_HTTP_PARTIAL;
    run->data_len = run->leftover_len = 0;
    while (consumed < size) {
        size_t step = fuzz_step(&schedule, size - consumed);
        ASAN_UNPOISON_MEMORY_REGION(piece, step);
        memcpy(piece, input + consumed, step);
        size_t len = step;
        ssize_t verdict = cep_chunked_decode(&decoder, piece, &len);
        fuzz_require(len <= step, "decoded data fits in its piece");
        memcpy(run->data + run->data_len, piece, len);
        run->data_len += len;
        consumed += step;
        if (verdict >= 0) {
            fuzz_require(len + (size_t)verdict <= step, "leftover fits in its piece");
            memcpy(run->leftover, piece + len, (size_t)verdict);
            memcpy(run->leftover + verdict, input + consumed, size - consumed);
            run->leftover_len = (size_t)verdict + size - consumed;
            run->verdict = (ssize_t)run->leftover_len;
            /* Final: later input is all leftover and decodes to nothing. */
            size_t more = step;
            memcpy(piece, input + consumed - step, step);
            fuzz_require(cep_chunked_decode(&decoder, piece, &more) == (ssize_t)step && more == 0,
                         "done is final");
            break;
        }
        ASAN_POISON_MEMORY_REGION(piece, step);
        if (verdict == CEP_HTTP_INVALID) {
            run->verdict = CEP_HTTP_INVALID;
            char again[1] = {'0'};
            size_t more = 1;
            fuzz_require(cep_chunked_decode(&decoder, again, &more) == CEP_HTTP_INVALID && more == 0,
                         "invalid is final");
            break;
        }
        fuzz_require(verdict == CEP_HTTP_PARTIAL, "verdict is done, partial or invalid");
    }
    ASAN_UNPOISON_MEMORY_REGION(piece, size);
    free(piece);
}

static void chunked_same(const chunked_run *a, const chunked_run *b, const char *schedule)
{
    fuzz_schedule_name = schedule;
    fuzz_require(a->verdict == b->verdict, "same verdict at every split");
    fuzz_require(a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0,
                 "same data at every split");
    fuzz_require(a->leftover_len == b->leftover_len && memcmp(a->leftover, b->leftover, a->leftover_len) == 0,
                 "same leftover at every split");
}

static void chunked_alloc(chunked_run *run, size_t size)
{
    run->data = malloc(size + 1);
    run->leftover = malloc(size + 1);
}

static void chunked_free(chunked_run *run)
{
    free(run->data);
    free(run->leftover);
}

/* Property 1. */
static void chunked_check_raw(const uint8_t *input, size_t size, uint32_t seed)
{
    chunked_run whole, bytewise, pieces;
    chunked_alloc(&whole, size);
    chunked_alloc(&bytewise, size);
    chunked_alloc(&pieces, size);
    fuzz_schedule_name = "whole";
    chunked_decode(&whole, input, size, (fuzz_schedule){0, 0});
    fuzz_require(whole.data_len + whole.leftover_len <= size, "output no longer than input");
    if (whole.verdict >= 0)
        fuzz_require(memcmp(whole.leftover, input + size - whole.leftover_len, whole.leftover_len) == 0,
                     "leftover is the input's tail");
    chunked_decode(&bytewise, input, size, (fuzz_schedule){1, 0});
    chunked_same(&whole, &bytewise, "bytewise");
    chunked_decode(&pieces, input, size, (fuzz_schedule){1 + seed % 24, seed | 1});
    chunked_same(&whole, &pieces, "random pieces");
    chunked_free(&whole);
    chunked_free(&bytewise);
    chunked_free(&pieces);
}

/* Appends to `out` (room checked by the caller's sizing). */
#define EMIT(text, len) (memcpy(out + n, (text), (len)), n += (len))

/* Property 2: encodes `body` as a valid chunked message followed by a next message. */
static void chunked_check_encoded(const uint8_t *body, size_t size, uint32_t seed)
{
    static const char next_message[] = "GET /v2/ HTTP/1.1\r\n";
    /* Worst case per chunk: 1 data byte + 15 hex digits + extension + 2 CRLF. */
    size_t cap = size * 64 + 4096;
    uint8_t *out = malloc(cap);
    size_t n = 0;
    uint32_t state = seed | 1;
    size_t sent = 0;
    while (sent < size) {
        uint32_t choice = fuzz_next(&state);
        size_t chunk = choice % 4 == 0 ? size - sent : 1 + fuzz_next(&state) % (size - sent);
        char line[64];
        const char *digits = (choice >> 3) & 1 ? "%s%zX" : "%s%zx";
        int len = snprintf(line, sizeof line, digits, (choice >> 4) % 5 == 0 ? "000" : "", chunk);
        EMIT(line, (size_t)len);
        if ((choice >> 8) % 4 == 0)
            EMIT("; name=\"va;l\" ;x", 16);
        else if ((choice >> 8) % 4 == 1)
            EMIT(" \t;ext", 6);
        EMIT("\r\n", 2);
        EMIT(body + sent, chunk);
        EMIT("\r\n", 2);
        sent += chunk;
    }
    EMIT((seed >> 5) & 1 ? "0000;last\r\n" : "0\r\n", (seed >> 5) & 1 ? 11 : 3);
    if ((seed >> 6) & 1)
        EMIT("Trailer-One: a b\tc\r\nX:\r\n", 24);
    EMIT("\r\n", 2);
    size_t message_len = n;
    EMIT(next_message, sizeof next_message - 1);

    chunked_run run;
    chunked_alloc(&run, n);
    fuzz_schedule_name = "encoded, random pieces";
    chunked_decode(&run, out, n, (fuzz_schedule){(seed >> 7) % 3 == 0 ? 1 : 1 + (seed >> 9) % 64, seed * 2654435761u | 1});
    fuzz_require(run.verdict == (ssize_t)(n - message_len), "a valid encoding decodes completely");
    fuzz_require(run.data_len == size && memcmp(run.data, body, size) == 0, "decoding gives back the data");
    fuzz_require(memcmp(run.leftover, next_message, sizeof next_message - 1) == 0, "the next message is leftover");
    chunked_free(&run);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t seed = fuzz_seed(data, size);
    chunked_check_raw(data, size, seed);
    chunked_check_encoded(data, size, seed);
    return 0;
}
