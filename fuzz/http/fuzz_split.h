/*
 * fuzz_split.h: what the three cep_http harnesses share: a seed taken from the
 * input itself (so corpus files stay plain HTTP), split schedules, and a
 * `fuzz_require` that aborts with a message libFuzzer records with the crash.
 *
 * Why seeds come from a hash rather than from leading bytes: the corpus is
 * real request heads, responses and chunked bodies, readable and reusable as
 * test fixtures; every mutation of an input still picks new split points.
 */
#ifndef FUZZ_SPLIT_H
#define FUZZ_SPLIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The schedule being compared, named in a failure report. */
static const char *fuzz_schedule_name = "whole";

/* Aborts (a libFuzzer crash) with the violated property. */
#define fuzz_require(condition, what)                                                     \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            fprintf(stderr, "property violated: %s [schedule: %s] (%s:%d)\n", what,       \
                    fuzz_schedule_name, __FILE__, __LINE__);                              \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* FNV-1a over the input: the seed for every random choice of one execution. */
static inline uint32_t fuzz_seed(const uint8_t *data, size_t size)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ data[i]) * 16777619u;
    return hash;
}

/* xorshift32; never returns 0 for a non-zero state. */
static inline uint32_t fuzz_next(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* How a message is fed: whole, one byte at a time, or in random pieces of at
 * most `max_step` bytes. */
typedef struct fuzz_schedule {
    size_t max_step;   /* 0: the whole input in one call */
    uint32_t state;    /* xorshift state for the piece sizes */
} fuzz_schedule;

/* Length of the next piece, at least 1 and at most `left`. */
static inline size_t fuzz_step(fuzz_schedule *schedule, size_t left)
{
    size_t step = schedule->max_step == 0 ? left
        : schedule->max_step == 1 ? 1
        : 1 + fuzz_next(&schedule->state) % schedule->max_step;
    return step < left ? step : left;
}

#endif /* FUZZ_SPLIT_H */
