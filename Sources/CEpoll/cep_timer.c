/* cep_timer: timerfd wrappers; see include/cep_timer.h. */
#define _GNU_SOURCE
#include "cep_timer.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int cep_timerfd_create(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int cep_timerfd_arm_periodic(int fd, int64_t first_ns, int64_t interval_ns) {
    if (first_ns <= 0 || interval_ns <= 0) return -EINVAL;
    struct itimerspec spec;
    spec.it_value.tv_sec = (time_t)(first_ns / 1000000000);
    spec.it_value.tv_nsec = (long)(first_ns % 1000000000);
    spec.it_interval.tv_sec = (time_t)(interval_ns / 1000000000);
    spec.it_interval.tv_nsec = (long)(interval_ns % 1000000000);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL) < 0 ? -errno : 0;
}

int cep_timerfd_read(int fd, uint64_t *expirations) {
    for (;;) {
        ssize_t n = read(fd, expirations, sizeof *expirations);
        if (n == (ssize_t)sizeof *expirations) return 0;
        if (n >= 0) return -EIO;
        if (errno == EINTR) continue;
        return -errno;
    }
}
