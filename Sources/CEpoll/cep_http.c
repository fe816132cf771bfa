/*
 * cep_http.c: the incremental HTTP/1.1 head parser and chunked decoder
 * declared in include/cep_http.h. C11, no allocation, no I/O, no mutable
 * globals; every result is an offset into the caller's buffer.
 *
 * Resumption: `scanned` is the offset of the first byte not yet examined and
 * `state` the state to examine it in, so a head fed one byte at a time is
 * tokenised once in total. The only second look at a byte is the
 * interpretation of a Content-Length, Transfer-Encoding, Connection or Expect
 * value once its field line has ended (bounded by the head limit).
 *
 * Fuzzing: both entry points take a plain byte buffer and touch nothing else,
 * so a libFuzzer harness needs only this file and the header:
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fuse-ld=lld \
 *     -I Sources/CEpoll/include Sources/CEpoll/cep_http.c harness.c -o fuzz-http
 *   ./fuzz-http -max_len=4096 corpus/
 * where harness.c defines LLVMFuzzerTestOneInput(data, size) and, for the
 * strongest oracle, checks that feeding `data` whole and one byte at a time
 * (and, for the decoder, in random splits) gives identical results.
 * The clang in the Swift toolchain (/opt/swift/usr/bin/clang) ships libFuzzer.
 */
#include "cep_http.h"
#include "cep_http_scan.h"

#include <string.h>

/* Head parser states; 0 is the start of a message. */
enum {
    HS_START = 0,          /* request: before the request-line (empty lines allowed) */
    HS_EMPTY_LINE_LF,      /* request: CR of a leading empty line seen */
    HS_METHOD,
    HS_TARGET_START,
    HS_TARGET,
    HS_REQUEST_VERSION,    /* aux0 = index into "HTTP/d.d" */
    HS_REQUEST_LINE_LF,
    HS_STATUS_VERSION,     /* aux0 = index into "HTTP/d.d" */
    HS_STATUS_CODE,        /* aux0 = digits seen */
    HS_STATUS_AFTER_CODE,
    HS_REASON,
    HS_STATUS_LINE_LF,
    HS_FIELD_START,
    HS_FIELD_NAME,         /* fields[field_count] is the field being built */
    HS_VALUE_LEADING_OWS,
    HS_VALUE,              /* value_len tracks the last non-OWS byte */
    HS_FIELD_LINE_LF,
    HS_HEAD_END_LF,
    HS_DONE,
    HS_FAILED,
};

/* Private flags kept in aux1. */
#define PF_CONTENT_LENGTH_SEEN 0x01u
#define PF_TRANSFER_ENCODING_SEEN 0x02u
#define PF_VERSION_UNSUPPORTED 0x04u

static int cep_is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int cep_is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

/* tchar, RFC 9110 section 5.6.2: "!#$%&'*+-.^_`|~", DIGIT and ALPHA, as two
 * 64-bit masks over ASCII (bit c of the first for c < 64, bit c - 64 of the
 * second), so a field name costs a shift and a test per byte. */
#define CEP_TCHAR_MASK_0_63 0x03ff6cfa00000000ull
#define CEP_TCHAR_MASK_64_127 0x57ffffffc7fffffeull

static inline int cep_is_tchar(unsigned char c)
{
    if (c < 64)
        return (int)((CEP_TCHAR_MASK_0_63 >> c) & 1u);
    if (c < 128)
        return (int)((CEP_TCHAR_MASK_64_127 >> (c - 64)) & 1u);
    return 0;
}

/* VCHAR, the only bytes allowed in a request-target (RFC 9112 section 3.2). */
static int cep_is_vchar(unsigned char c) { return c > 0x20 && c < 0x7f; }

/* field-vchar = VCHAR / obs-text (RFC 9110 section 5.5); also reason-phrase. */
static int cep_is_field_vchar(unsigned char c) { return c > 0x20 && c != 0x7f; }

static int cep_equal_ci(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x | 0x20);
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y | 0x20);
        if (x != y)
            return 0;
    }
    return 1;
}

#define CEP_IS(value, len, literal) \
    ((len) == sizeof(literal) - 1 && cep_equal_ci((value), (literal), sizeof(literal) - 1))

/* Whether the comma-separated list (RFC 9110 section 5.6.1) holds `literal`
 * as an element, compared case-insensitively after trimming OWS. */
static int cep_list_contains(const char *v, size_t n, const char *literal, size_t literal_len)
{
    size_t i = 0;
    while (i <= n) {
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i;
        while (start < end && cep_is_ows((unsigned char)v[start]))
            start++;
        while (end > start && cep_is_ows((unsigned char)v[end - 1]))
            end--;
        if (end - start == literal_len && cep_equal_ci(v + start, literal, literal_len))
            return 1;
        i++;
    }
    return 0;
}

/* Content-Length = 1*DIGIT (RFC 9110 section 8.6). A list of identical
 * values, or repeated identical fields, fold into one; anything else cannot
 * frame the body (RFC 9112 section 6.3 item 5). */
static cep_http_error cep_head_content_length(cep_http_head *h, const char *v, size_t n)
{
    if (h->aux1 & PF_TRANSFER_ENCODING_SEEN)
        return CEP_HTTP_ERR_BAD_FRAMING;
    size_t i = 0;
    for (;;) {
        while (i < n && cep_is_ows((unsigned char)v[i]))
            i++;
        size_t digits_start = i;
        int64_t value = 0;
        while (i < n && cep_is_digit((unsigned char)v[i])) {
            int digit = v[i] - '0';
            if (value > (INT64_MAX - digit) / 10)
                return CEP_HTTP_ERR_BAD_FRAMING;
            value = value * 10 + digit;
            i++;
        }
        if (i == digits_start)
            return CEP_HTTP_ERR_BAD_FRAMING;
        while (i < n && cep_is_ows((unsigned char)v[i]))
            i++;
        if ((h->aux1 & PF_CONTENT_LENGTH_SEEN) && value != h->content_length)
            return CEP_HTTP_ERR_BAD_FRAMING;
        h->content_length = value;
        h->aux1 |= PF_CONTENT_LENGTH_SEEN;
        if (i == n)
            return CEP_HTTP_ERR_NONE;
        if (v[i] != ',')
            return CEP_HTTP_ERR_BAD_FRAMING;
        i++;
    }
}

/* RFC 9112 section 6.1: only "chunked", once; never with Content-Length
 * (section 6.3 item 3, refused rather than overridden because a peer that
 * honoured the Content-Length would split the stream differently); and an
 * HTTP/1.0 message with Transfer-Encoding "MUST be treated as if the framing
 * is faulty". */
static cep_http_error cep_head_transfer_encoding(cep_http_head *h, const char *v, size_t n)
{
    if (h->aux1 & PF_CONTENT_LENGTH_SEEN)
        return CEP_HTTP_ERR_BAD_FRAMING;
    if ((h->aux1 & PF_TRANSFER_ENCODING_SEEN) || !CEP_IS(v, n, "chunked"))
        return CEP_HTTP_ERR_TRANSFER_ENCODING;
    if (h->version_minor == 0)
        return CEP_HTTP_ERR_BAD_FRAMING;
    h->aux1 |= PF_TRANSFER_ENCODING_SEEN;
    h->flags |= CEP_HTTP_F_CHUNKED;
    return CEP_HTTP_ERR_NONE;
}

/* Interprets a completed field line that bears on framing or connection use. */
static cep_http_error cep_head_field_ended(cep_http_head *h, const char *buf,
                                           const cep_http_field *f, int is_response)
{
    const char *name = buf + f->name_off, *value = buf + f->value_off;
    size_t n = f->value_len;
    if (CEP_IS(name, f->name_len, "content-length"))
        return cep_head_content_length(h, value, n);
    if (CEP_IS(name, f->name_len, "transfer-encoding"))
        return cep_head_transfer_encoding(h, value, n);
    if (CEP_IS(name, f->name_len, "connection")) {
        if (cep_list_contains(value, n, "close", 5))
            h->flags |= CEP_HTTP_F_CONN_CLOSE;
        if (cep_list_contains(value, n, "keep-alive", 10))
            h->flags |= CEP_HTTP_F_CONN_KEEPALIVE;
    } else if (!is_response && CEP_IS(name, f->name_len, "expect")) {
        if (cep_list_contains(value, n, "100-continue", 12))
            h->flags |= CEP_HTTP_F_EXPECT_CONTINUE;
    }
    return CEP_HTTP_ERR_NONE;
}

/* One byte of HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3;
 * HTTP-name is case-sensitive). Returns 0 when the byte cannot appear there. */
static int cep_head_version_byte(cep_http_head *h, unsigned char c, uint32_t index)
{
    if (index < 5)
        return c == (unsigned char)"HTTP/"[index];
    if (index == 6)
        return c == '.';
    if (!cep_is_digit(c))
        return 0;
    if (index == 5 && c != '1')
        h->aux1 |= PF_VERSION_UNSUPPORTED;
    if (index == 7) {
        if (c > '1')
            h->aux1 |= PF_VERSION_UNSUPPORTED;
        else
            h->version_minor = c - '0';
    }
    return 1;
}

static int cep_head_fail(cep_http_head *h, size_t at, cep_http_error error)
{
    h->error = error;
    h->state = HS_FAILED;
    h->scanned = (uint32_t)at;
    return CEP_HTTP_INVALID;
}

static int cep_head_parse(cep_http_head *h, const char *buf, size_t len, int is_response)
{
    if (h->state == HS_DONE)
        return (int)h->scanned;
    if (h->state == HS_FAILED)
        return CEP_HTTP_INVALID;
    if (h->state == HS_START && is_response) {
        h->state = HS_STATUS_VERSION;
        h->aux0 = 0;
    }
    const uint32_t field_limit = h->fields == NULL ? 0
        : h->fields_cap < CEP_HTTP_MAX_HEADERS ? h->fields_cap : CEP_HTTP_MAX_HEADERS;
    cep_http_field *f = h->field_count < field_limit ? &h->fields[h->field_count] : NULL;
    const size_t end = len < CEP_HTTP_MAX_HEAD ? len : CEP_HTTP_MAX_HEAD;
    uint32_t state = h->state;
    size_t p = h->scanned;

    for (; p < end; p++) {
        unsigned char c = (unsigned char)buf[p];
        /* RFC 9112 section 3: a request-line longer than we accept is 414;
         * decided at the first byte past the limit, CRLF or not. */
        if (state >= HS_METHOD && state <= HS_REQUEST_VERSION
            && p - h->line_start >= CEP_HTTP_MAX_REQUEST_LINE
            && !(state == HS_REQUEST_VERSION && c == '\r'))
            return cep_head_fail(h, p, CEP_HTTP_ERR_LINE_TOO_LONG);

        switch (state) {
        case HS_START: /* RFC 9112 section 2.2: skip empty lines before a request-line */
            if (c == '\r') {
                state = HS_EMPTY_LINE_LF;
            } else if (cep_is_tchar(c)) {
                h->line_start = h->method_off = (uint32_t)p;
                state = HS_METHOD;
            } else {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_EMPTY_LINE_LF:
            if (c != '\n')
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            state = HS_START;
            break;
        case HS_METHOD: /* method = token */
            if (c == ' ') {
                h->method_len = (uint32_t)p - h->method_off;
                state = HS_TARGET_START;
            } else if (!cep_is_tchar(c)) {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_TARGET_START:
            if (!cep_is_vchar(c))
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            h->target_off = (uint32_t)p;
            state = HS_TARGET;
            break;
        case HS_TARGET: /* request-target: visible ASCII only (section 3.2) */
            if (cep_is_vchar(c)) {
                /* Scan to the line limit or the buffer's end, whichever is first
                 * (the limit itself is checked at the top of the loop). */
                size_t stop = (size_t)h->line_start + CEP_HTTP_MAX_REQUEST_LINE;
                if (stop > end)
                    stop = end;
                p = cep_scan_vchar(buf, p + 1, stop) - 1;
            } else if (c == ' ') {
                h->target_len = (uint32_t)p - h->target_off;
                h->aux0 = 0;
                state = HS_REQUEST_VERSION;
            } else {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_REQUEST_VERSION:
            if (h->aux0 == 8) {
                if (c != '\r')
                    return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
                if (h->aux1 & PF_VERSION_UNSUPPORTED)
                    return cep_head_fail(h, p, CEP_HTTP_ERR_VERSION);
                state = HS_REQUEST_LINE_LF;
            } else if (!cep_head_version_byte(h, c, h->aux0++)) {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_REQUEST_LINE_LF:
        case HS_STATUS_LINE_LF:
            if (c != '\n')
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            state = HS_FIELD_START;
            break;
        case HS_STATUS_VERSION: /* status-line, RFC 9112 section 4 */
            if (h->aux0 == 8) {
                if (c != ' ')
                    return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
                if (h->aux1 & PF_VERSION_UNSUPPORTED)
                    return cep_head_fail(h, p, CEP_HTTP_ERR_VERSION);
                h->aux0 = 0;
                h->status = 0;
                state = HS_STATUS_CODE;
            } else if (!cep_head_version_byte(h, c, h->aux0++)) {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_STATUS_CODE: /* 3DIGIT, 100..999 */
            if (!cep_is_digit(c) || (h->aux0 == 0 && c == '0'))
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            h->status = h->status * 10 + (c - '0');
            if (++h->aux0 == 3)
                state = HS_STATUS_AFTER_CODE;
            break;
        case HS_STATUS_AFTER_CODE: /* a missing reason-phrase is tolerated */
            if (c == ' ') {
                h->reason_off = (uint32_t)p + 1;
                h->reason_len = 0;
                state = HS_REASON;
            } else if (c == '\r') {
                h->reason_off = (uint32_t)p;
                h->reason_len = 0;
                state = HS_STATUS_LINE_LF;
            } else {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_REASON: /* reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) */
            if (c == '\r') {
                h->reason_len = (uint32_t)p - h->reason_off;
                state = HS_STATUS_LINE_LF;
            } else if (!cep_is_field_vchar(c) && !cep_is_ows(c)) {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_FIELD_START:
            if (c == '\r') {
                state = HS_HEAD_END_LF;
                break;
            }
            /* A line starting with SP/HTAB is obs-fold (RFC 9112 section 5.2). */
            if (!cep_is_tchar(c))
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            if (f == NULL)
                return cep_head_fail(h, p, CEP_HTTP_ERR_TOO_MANY_HEADERS);
            f->name_off = (uint32_t)p;
            f->name_len = f->value_off = f->value_len = 0;
            state = HS_FIELD_NAME;
            break;
        case HS_FIELD_NAME: /* field-name ":", no whitespace before the colon (section 5.1) */
            if (c == ':') {
                f->name_len = (uint32_t)p - f->name_off;
                state = HS_VALUE_LEADING_OWS;
            } else if (cep_is_tchar(c)) {
                while (p + 1 < end && cep_is_tchar((unsigned char)buf[p + 1]))
                    p++;
            } else {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_VALUE_LEADING_OWS:
            if (cep_is_ows(c))
                break;
            f->value_off = (uint32_t)p;
            if (c == '\r') {
                state = HS_FIELD_LINE_LF;
                break;
            }
            if (!cep_is_field_vchar(c))
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            f->value_len = 1;
            state = HS_VALUE;
            break;
        case HS_VALUE: /* field-value; CR only as part of CRLF, no CTLs but HTAB */
            if (c == '\r') {
                state = HS_FIELD_LINE_LF;
            } else if (cep_is_field_vchar(c) || cep_is_ows(c)) {
                /* The run up to the CR (or a bad byte); value_len ends at its
                 * last byte that is not OWS, if it has one. */
                size_t q = cep_scan_field_content(buf, p + 1, end);
                size_t last = q;
                while (last > p && cep_is_ows((unsigned char)buf[last - 1]))
                    last--;
                if (last > p)
                    f->value_len = (uint32_t)last - f->value_off;
                p = q - 1;
            } else {
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            }
            break;
        case HS_FIELD_LINE_LF: {
            if (c != '\n')
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            cep_http_error error = cep_head_field_ended(h, buf, f, is_response);
            if (error != CEP_HTTP_ERR_NONE)
                return cep_head_fail(h, p, error);
            h->field_count++;
            f = h->field_count < field_limit ? &h->fields[h->field_count] : NULL;
            state = HS_FIELD_START;
            break;
        }
        case HS_HEAD_END_LF:
            if (c != '\n')
                return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
            if (!(h->aux1 & PF_CONTENT_LENGTH_SEEN))
                h->content_length = -1;
            h->error = CEP_HTTP_ERR_NONE;
            h->state = HS_DONE;
            h->scanned = (uint32_t)p + 1;
            return (int)p + 1;
        default:
            return cep_head_fail(h, p, CEP_HTTP_ERR_MALFORMED);
        }
    }
    h->state = state;
    h->scanned = (uint32_t)p;
    if (len > CEP_HTTP_MAX_HEAD)
        return cep_head_fail(h, p, CEP_HTTP_ERR_HEAD_TOO_LARGE);
    return CEP_HTTP_PARTIAL;
}

void cep_http_reset(cep_http_head *head)
{
    cep_http_field *fields = head->fields;
    uint32_t fields_cap = head->fields_cap;
    memset(head, 0, sizeof(*head));
    head->fields = fields;
    head->fields_cap = fields_cap;
    head->content_length = -1;
}

int cep_http_parse_request(cep_http_head *head, const char *buf, size_t len)
{
    return cep_head_parse(head, buf, len, 0);
}

int cep_http_parse_response(cep_http_head *head, const char *buf, size_t len)
{
    return cep_head_parse(head, buf, len, 1);
}

int cep_http_field_is(const char *buf, const cep_http_field *field, const char *name, size_t name_len)
{
    return field->name_len == name_len && cep_equal_ci(buf + field->name_off, name, name_len);
}

/* Chunked decoder (RFC 9112 section 7.1). */

/* Longest chunk-size line (size and extensions, CRLF excluded) we accept. */
#define CEP_CHUNK_MAX_SIZE_LINE 4096
/* Longest trailer section (field lines with their CRLFs, final CRLF excluded). */
#define CEP_CHUNK_MAX_TRAILER 65536
/* Significant hex digits in a chunk-size: 15 keeps it below 2^60. */
#define CEP_CHUNK_MAX_HEX_DIGITS 15

enum {
    CS_SIZE_START = 0,  /* first byte of a chunk-size line; line_len counts it */
    CS_SIZE,            /* 1*HEXDIG so far; hex_digits = significant digits */
    CS_SIZE_BWS,        /* BWS after the size: only ";" may follow */
    CS_EXTENSION,       /* chunk-ext, skipped up to CR */
    CS_SIZE_LF,
    CS_DATA,            /* remaining = data bytes left */
    CS_DATA_CR,
    CS_DATA_LF,
    CS_TRAILER_START,   /* line_len counts the whole trailer section */
    CS_TRAILER_NAME,
    CS_TRAILER_VALUE,
    CS_TRAILER_LF,
    CS_FINAL_LF,
    CS_DONE,
    CS_FAILED,
};

static int cep_hex_value(unsigned char c)
{
    if (cep_is_digit(c))
        return c - '0';
    c = (unsigned char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One framing byte; returns 0 when it is invalid in `d->state`. */
static int cep_chunked_byte(cep_chunked *d, unsigned char c)
{
    int hex;
    switch (d->state) {
    case CS_SIZE_START: /* no sign, prefix or whitespace before the size */
        if ((hex = cep_hex_value(c)) < 0)
            return 0;
        d->remaining = (uint64_t)hex;
        d->hex_digits = hex != 0;
        d->line_len = 1;
        d->state = CS_SIZE;
        return 1;
    case CS_SIZE:
    case CS_SIZE_BWS:
    case CS_EXTENSION:
        if (c == '\r') { /* BWS is allowed only before ";" */
            int ok = d->state != CS_SIZE_BWS;
            d->state = CS_SIZE_LF;
            return ok;
        }
        if (++d->line_len > CEP_CHUNK_MAX_SIZE_LINE)
            return 0;
        if (d->state == CS_EXTENSION) /* any field-vchar, SP or HTAB; never a bare LF */
            return cep_is_field_vchar(c) || cep_is_ows(c);
        if (d->state == CS_SIZE && (hex = cep_hex_value(c)) >= 0) {
            if ((d->hex_digits > 0 || hex != 0) && ++d->hex_digits > CEP_CHUNK_MAX_HEX_DIGITS)
                return 0;
            d->remaining = d->remaining * 16 + (uint64_t)hex;
            return 1;
        }
        if (c == ';') {
            d->state = CS_EXTENSION;
            return 1;
        }
        if (cep_is_ows(c)) {
            d->state = CS_SIZE_BWS;
            return 1;
        }
        return 0;
    case CS_SIZE_LF:
        if (c != '\n')
            return 0;
        d->line_len = 0;
        d->state = d->remaining == 0 ? CS_TRAILER_START : CS_DATA;
        return 1;
    case CS_DATA_CR:
        d->state = CS_DATA_LF;
        return c == '\r';
    case CS_DATA_LF:
        d->state = CS_SIZE_START;
        return c == '\n';
    case CS_TRAILER_START:
        if (c == '\r') {
            d->state = CS_FINAL_LF;
            return 1;
        }
        d->state = CS_TRAILER_NAME;
        return ++d->line_len <= CEP_CHUNK_MAX_TRAILER && cep_is_tchar(c);
    case CS_TRAILER_NAME:
        if (++d->line_len > CEP_CHUNK_MAX_TRAILER)
            return 0;
        if (c == ':')
            d->state = CS_TRAILER_VALUE;
        return c == ':' || cep_is_tchar(c);
    case CS_TRAILER_VALUE:
        if (++d->line_len > CEP_CHUNK_MAX_TRAILER)
            return 0;
        if (c == '\r')
            d->state = CS_TRAILER_LF;
        return c == '\r' || cep_is_field_vchar(c) || cep_is_ows(c);
    case CS_TRAILER_LF:
        d->state = CS_TRAILER_START;
        return ++d->line_len <= CEP_CHUNK_MAX_TRAILER && c == '\n';
    case CS_FINAL_LF:
        d->state = CS_DONE;
        return c == '\n';
    default:
        return 0;
    }
}

ssize_t cep_chunked_decode(cep_chunked *decoder, char *buf, size_t *len)
{
    const size_t n = *len;
    size_t in = 0, out = 0;
    if (decoder->state == CS_FAILED) {
        *len = 0;
        return CEP_HTTP_INVALID;
    }
    while (in < n && decoder->state != CS_DONE) {
        if (decoder->state == CS_DATA) {
            size_t take = n - in;
            if (decoder->remaining < take)
                take = (size_t)decoder->remaining;
            if (out != in)
                memmove(buf + out, buf + in, take);
            out += take;
            in += take;
            decoder->remaining -= take;
            if (decoder->remaining == 0)
                decoder->state = CS_DATA_CR;
            continue;
        }
        if (!cep_chunked_byte(decoder, (unsigned char)buf[in++])) {
            decoder->state = CS_FAILED;
            *len = out;
            return CEP_HTTP_INVALID;
        }
    }
    *len = out;
    if (decoder->state != CS_DONE)
        return CEP_HTTP_PARTIAL;
    /* Bytes after the final CRLF belong to the next message. */
    if (out != in)
        memmove(buf + out, buf + in, n - in);
    return (ssize_t)(n - in);
}
