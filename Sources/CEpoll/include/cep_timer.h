/*
 * cep_timer: periodic timer descriptors (timerfd, CLOCK_MONOTONIC) for the event loops.
 * Same convention as cep_sys: >= 0 on success, -errno on failure.
 */
#ifndef CEP_TIMER_H
#define CEP_TIMER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A non-blocking, close-on-exec timerfd on CLOCK_MONOTONIC, disarmed. */
int cep_timerfd_create(void);
/** Arms `fd` to expire first at `first_ns` (absolute CLOCK_MONOTONIC nanoseconds, the clock
 *  of cep_monotonic_ns) and then every `interval_ns` (> 0). */
int cep_timerfd_arm_periodic(int fd, int64_t first_ns, int64_t interval_ns);
/** Reads the number of expirations since the last read into `*expirations`;
 *  -EAGAIN when there were none. */
int cep_timerfd_read(int fd, uint64_t *expirations);

#ifdef __cplusplus
}
#endif

#endif
