/*
 * cep_http_scan.h: the parser's runs of ordinary bytes, sixteen at a time.
 * Private to cep_http.c. Most bytes of a request head sit in its target and
 * its field values; scanning them a byte per turn of the state machine was
 * the largest single cost of a cached HEAD (issue 19). With SSE2 (every
 * x86-64) each scan tests sixteen bytes per step and finishes the tail a
 * byte at a time; elsewhere it is the byte loop alone. Never reads at or past
 * the given end.
 */
#ifndef CEP_HTTP_SCAN_H
#define CEP_HTTP_SCAN_H

#include <stddef.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The first index in [p, stop) whose byte is not VCHAR (0x21-0x7e, RFC 5234
 * appendix B.1; a request-target, RFC 9112 section 3.2), or stop. */
static inline size_t cep_scan_vchar(const char *buf, size_t p, size_t stop)
{
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i tilde = _mm_set1_epi8(0x7e);
    while (p + 16 <= stop) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
        /* Unsigned c <= k is (c - k, saturating) == 0. */
        unsigned low = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(x, space), zero));
        unsigned in_range = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(x, tilde), zero));
        unsigned other = low | (in_range ^ 0xffffu);
        if (other != 0)
            return p + (size_t)__builtin_ctz(other);
        p += 16;
    }
#endif
    while (p < stop) {
        unsigned char c = (unsigned char)buf[p];
        if (c <= 0x20 || c >= 0x7f)
            break;
        p++;
    }
    return p;
}

/* The first index in [p, end) whose byte can not be part of a field value:
 * a CTL other than HTAB, or DEL (field-vchar, SP and HTAB can; RFC 9110
 * section 5.5). That byte is the line's CR, or a malformed one. */
static inline size_t cep_scan_field_content(const char *buf, size_t p, size_t end)
{
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i unit_separator = _mm_set1_epi8(0x1f);
    const __m128i tab = _mm_set1_epi8(0x09);
    const __m128i del = _mm_set1_epi8(0x7f);
    while (p + 16 <= end) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
        __m128i ctl = _mm_cmpeq_epi8(_mm_subs_epu8(x, unit_separator), zero);
        ctl = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), ctl);
        unsigned other = (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(x, del)));
        if (other != 0)
            return p + (size_t)__builtin_ctz(other);
        p += 16;
    }
#endif
    while (p < end) {
        unsigned char c = (unsigned char)buf[p];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            break;
        p++;
    }
    return p;
}

#endif
