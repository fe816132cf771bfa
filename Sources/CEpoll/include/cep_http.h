/*
 * cep_http: an incremental HTTP/1.1 head parser (requests and responses) and a
 * chunked-body decoder. Mechanism only: no allocation, no policy, no I/O.
 *
 * Shape (after picohttpparser's API, with state kept between calls so that a
 * head fed one byte at a time is scanned once in total):
 *   - The caller keeps every byte of the current head contiguous from offset 0
 *     of its buffer and calls the parser again with the same buffer (possibly
 *     moved, possibly longer) each time bytes arrive.
 *   - Results are offsets into that buffer, never pointers.
 *   - Return value: > 0  the head is complete; the value is its length in bytes
 *                        (the body, if any, starts there)
 *                   CEP_HTTP_PARTIAL (-2)  need more bytes
 *                   CEP_HTTP_INVALID (-1)  malformed or refused; see `error`
 *
 * Framing (RFC 9112 section 6) is decided here, once, after the head, because
 * that is where request smuggling is won or lost:
 *   - Transfer-Encoding together with Content-Length -> invalid.
 *   - Several Content-Length fields (or a comma list) with differing values ->
 *     invalid; identical repeats are folded.
 *   - Content-Length must be 1*DIGIT and fit in int64.
 *   - Transfer-Encoding must be exactly "chunked" (case-insensitive, OWS
 *     trimmed); anything else (gzip, "chunked, chunked", identity) -> invalid
 *     with CEP_HTTP_ERR_TRANSFER_ENCODING.
 *   - Obsolete line folding, whitespace between a field name and ':', a bare
 *     CR, control characters in field values, and non-token field names ->
 *     invalid.
 */
#ifndef CEP_HTTP_H
#define CEP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CEP_HTTP_PARTIAL (-2)
#define CEP_HTTP_INVALID (-1)

/** Limits (issue 2): request line 8 KiB -> 414, head 64 KiB -> 431,
 *  more than 100 header fields -> 431. */
#define CEP_HTTP_MAX_REQUEST_LINE 8192
#define CEP_HTTP_MAX_HEAD 65536
#define CEP_HTTP_MAX_HEADERS 100

/** Why a head was refused; the caller maps these to a status code. */
typedef enum cep_http_error {
    CEP_HTTP_ERR_NONE = 0,
    CEP_HTTP_ERR_MALFORMED = 1,          /* 400 */
    CEP_HTTP_ERR_LINE_TOO_LONG = 2,      /* 414 (request line over the limit) */
    CEP_HTTP_ERR_HEAD_TOO_LARGE = 3,     /* 431 (head over CEP_HTTP_MAX_HEAD) */
    CEP_HTTP_ERR_TOO_MANY_HEADERS = 4,   /* 431 */
    CEP_HTTP_ERR_BAD_FRAMING = 5,        /* 400: CL+TE, differing CLs, bad CL */
    CEP_HTTP_ERR_TRANSFER_ENCODING = 6,  /* 501 for requests: TE not "chunked" */
    CEP_HTTP_ERR_VERSION = 7,            /* 505: not HTTP/1.0 or HTTP/1.1 */
} cep_http_error;

/** One header field as offsets into the caller's buffer; the value is
 *  trimmed of leading and trailing OWS. */
typedef struct cep_http_field {
    uint32_t name_off, name_len;
    uint32_t value_off, value_len;
} cep_http_field;

/** Flags describing the message's framing and connection handling. */
#define CEP_HTTP_F_CHUNKED 0x01          /* Transfer-Encoding: chunked */
#define CEP_HTTP_F_CONN_CLOSE 0x02       /* Connection: close seen */
#define CEP_HTTP_F_CONN_KEEPALIVE 0x04   /* Connection: keep-alive seen */
#define CEP_HTTP_F_EXPECT_CONTINUE 0x08  /* Expect: 100-continue (requests) */

/**
 * Parser state and result for one head. Zero-initialise (or call
 * cep_http_reset) before the first byte of each message. `fields` points to a
 * caller-owned array of `fields_cap` entries (at most CEP_HTTP_MAX_HEADERS are
 * ever used); it must stay the same array across calls for one head.
 */
typedef struct cep_http_head {
    /* Inputs. */
    cep_http_field *fields;
    uint32_t fields_cap;

    /* Results (valid once the parser returned > 0). */
    uint32_t method_off, method_len;   /* requests */
    uint32_t target_off, target_len;   /* requests: request-target as sent */
    int status;                        /* responses: 100..999 */
    uint32_t reason_off, reason_len;   /* responses */
    int version_minor;                 /* 0 or 1 (HTTP/1.x) */
    uint32_t field_count;
    int64_t content_length;            /* -1 when absent */
    uint32_t flags;                    /* CEP_HTTP_F_* */
    cep_http_error error;

    /* Private: where scanning resumes, and the state it resumes in. */
    uint32_t scanned;
    uint32_t line_start;
    uint32_t state;
    uint32_t aux0, aux1;
} cep_http_head;

/** Resets `head` for a new message, keeping `fields` and `fields_cap`. */
void cep_http_reset(cep_http_head *head);

/** Parses (more of) a request head: `request-line *( field-line CRLF ) CRLF`.
 *  `len` is the number of valid bytes at `buf`, counted from the first byte
 *  of the head. Leading empty lines before the request line are skipped
 *  (RFC 9112 section 2.2). */
int cep_http_parse_request(cep_http_head *head, const char *buf, size_t len);

/** Parses (more of) a response head: `status-line *( field-line CRLF ) CRLF`.
 *  Same contract as cep_http_parse_request; request-line limits do not apply,
 *  CEP_HTTP_MAX_HEAD and CEP_HTTP_MAX_HEADERS do. */
int cep_http_parse_response(cep_http_head *head, const char *buf, size_t len);

/** Case-insensitive comparison of the field name at `field` with `name`
 *  (`name_len` bytes); returns 1 when equal. */
int cep_http_field_is(const char *buf, const cep_http_field *field, const char *name, size_t name_len);

/**
 * Chunked transfer coding decoder (RFC 9112 section 7.1). Zero-initialise.
 * Chunk extensions are skipped; trailer fields are skipped. A chunk size is
 * 1*HEXDIG and must fit in 62 bits; anything else is invalid.
 */
typedef struct cep_chunked {
    uint64_t remaining;  /* data bytes left in the current chunk */
    uint32_t state;
    uint32_t hex_digits;
    uint32_t line_len;   /* bytes of the current size/trailer line, capped */
} cep_chunked;

/**
 * Decodes `*len` bytes at `buf` in place: on return the first `*len` bytes of
 * `buf` are body data (possibly 0). Returns:
 *   >= 0  the body is complete; the value is how many of the input bytes
 *         followed the final CRLF (they belong to the next message and have
 *         been moved to buf[*len ..< *len + value]).
 *   CEP_HTTP_PARTIAL  all input consumed, more is needed.
 *   CEP_HTTP_INVALID  malformed chunk framing.
 */
ssize_t cep_chunked_decode(cep_chunked *decoder, char *buf, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* CEP_HTTP_H */
