/*
 * cep_sys: thin wrappers over the Linux syscalls the event loops use.
 * Convention: every function returns >= 0 on success and -errno on failure,
 * never touches errno for the caller, and retries EINTR where that is safe.
 * Swift turns these codes into errors in exactly one file (System/SystemError).
 */
#ifndef CEP_SYS_H
#define CEP_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/epoll.h>
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Event bits re-exported as plain constants (the Swift importer cannot see
 * the EPOLL* enum values of glibc as integers). */
extern const uint32_t CEP_EPOLLIN, CEP_EPOLLOUT, CEP_EPOLLERR, CEP_EPOLLHUP,
    CEP_EPOLLRDHUP, CEP_EPOLLET, CEP_EPOLLEXCLUSIVE;

/* epoll */
int cep_epoll_create(void);
/** op: 0 add, 1 modify, 2 delete. `data` is returned with each event. */
int cep_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/** Waits up to timeout_ms (-1 forever); fills `events_out`/`data_out`. */
int cep_epoll_wait(int epfd, uint32_t *events_out, uint64_t *data_out, int max_events, int timeout_ms);

/* eventfd / signalfd */
int cep_eventfd_create(void);
int cep_eventfd_signal(int fd);
int cep_eventfd_drain(int fd);
/** Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE in the calling thread (inherited by
 *  threads it creates) and returns a signalfd for SIGINT, SIGTERM and SIGHUP. */
int cep_signalfd_create(void);
/** Reads one signal from a signalfd; returns the signal number. */
int cep_signalfd_read(int fd);
/** Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE in the calling thread: helper threads
 *  call this first so that only the main thread's signalfd sees them. */
void cep_block_signals(void);
/** Blocks SIGPIPE in the calling thread (writes to a closed socket then
 *  fail with EPIPE instead of killing the process). */
void cep_ignore_sigpipe(void);

/* Sockets: all non-blocking and close-on-exec. */
/** A listening TCP socket bound to host:port (numeric IPv4 or IPv6 literal,
 *  or "0.0.0.0" / "::"), with SO_REUSEADDR and, if reuse_port, SO_REUSEPORT. */
int cep_tcp_listen(const char *host, uint16_t port, int backlog, int reuse_port);
/** accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC and TCP_NODELAY; writes the peer as text into
 *  peer (e.g. "127.0.0.1:40000"); -EAGAIN when there is nothing to accept. */
int cep_tcp_accept(int listen_fd, char *peer, size_t peer_cap);
/** Starts a non-blocking connect to a resolved address (family AF_INET or
 *  AF_INET6, addr 4 or 16 bytes, port host order). Returns the fd; the
 *  connect completes when it becomes writable (then call cep_socket_error). */
int cep_tcp_connect(int family, const uint8_t *addr, uint16_t port);
/** Whether an idle socket is still clean: 1 when nothing is pending,
 *  0 when bytes are waiting or the peer closed (the socket must not be
 *  reused: the bytes belong to no request we sent). */
int cep_socket_idle_clean(int fd);
/** SO_ERROR of a socket as -errno (0 when connected). */
int cep_socket_error(int fd);
/** Port a bound socket listens on (host order). */
int cep_socket_local_port(int fd);
int cep_tcp_nodelay(int fd);
/** Closes with SO_LINGER 0 so that the peer sees a reset. */
int cep_close_reset(int fd);
int cep_close(int fd);
int cep_shutdown_write(int fd);

/* Byte I/O. -EAGAIN when it would block; 0 from read means end of stream. */
ssize_t cep_read(int fd, void *buf, size_t len);
/** recv(MSG_PEEK): the first bytes waiting on a socket, left in it. */
ssize_t cep_peek(int fd, void *buf, size_t len);
ssize_t cep_write(int fd, const void *buf, size_t len);
ssize_t cep_writev2(int fd, const void *a, size_t alen, const void *b, size_t blen);
/** sendfile from in_fd at *offset (advanced by the bytes sent). */
ssize_t cep_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count);

/* Files */
int cep_open_read(const char *path);
/** Creates a new file exclusively (O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC, 0644). */
int cep_open_create(const char *path);
ssize_t cep_pwrite_all(int fd, const void *buf, size_t len, int64_t offset);
ssize_t cep_pread(int fd, void *buf, size_t len, int64_t offset);
int64_t cep_file_size(int fd);
int cep_fsync(int fd);
/** fsync of a directory (makes a rename durable). */
int cep_fsync_dir(const char *path);
int cep_rename(const char *from, const char *to);
int cep_unlink(const char *path);
/** Takes an exclusive, non-blocking flock(2) on directory `dir` (held until the
 *  returned fd is closed, or the process ends) and writes this process's PID to
 *  `pid_path` (best effort: a read-only cache is still locked). -EWOULDBLOCK when
 *  another open file description holds it; then *holder_pid is the PID read
 *  from `pid_path` (0 when unknown). */
int cep_dir_lock(const char *dir, const char *pid_path, int *holder_pid);
int cep_mkdir_p(const char *path);
/** Size of the regular file at path, or -ENOENT etc. */
int64_t cep_stat_size(const char *path);

/* Name resolution: blocking getaddrinfo, to be called off the event loops.
 * Fills up to `cap` addresses (16 bytes each, v4 in the first 4) and their
 * families; returns the count or a negative EAI_* code offset by -1000. */
int cep_resolve(const char *host, uint8_t *addrs, int *families, int cap);

/* Clock */
/** CLOCK_MONOTONIC in nanoseconds. */
int64_t cep_monotonic_ns(void);
/** CLOCK_REALTIME in nanoseconds since the Unix epoch. */
int64_t cep_realtime_ns(void);

/* Threads */
/** CPUs this process may run on (its affinity mask; online CPUs if that fails). */
int cep_cpu_count(void);

/* Process resources, for /metrics (each reads /proc or walks malloc's arenas:
 * call at scrape time, not per request). */
/** Open file descriptors of this process (entries of /proc/self/fd, not
 *  counting the one used to list them), or -errno. */
int64_t cep_process_open_fds(void);
/** Resident set size in bytes (/proc/self/statm), or -errno. */
int64_t cep_process_resident_bytes(void);
/** Bytes malloc has handed out and not had back (glibc mallinfo2: arena
 *  chunks in use plus mmapped chunks). */
int64_t cep_heap_in_use_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* CEP_SYS_H */
