/* cep_sys: syscall wrappers; see include/cep_sys.h for the conventions. */
#define _GNU_SOURCE
#include "cep_sys.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

const uint32_t CEP_EPOLLIN = EPOLLIN, CEP_EPOLLOUT = EPOLLOUT, CEP_EPOLLERR = EPOLLERR,
               CEP_EPOLLHUP = EPOLLHUP, CEP_EPOLLRDHUP = EPOLLRDHUP, CEP_EPOLLET = EPOLLET,
               CEP_EPOLLEXCLUSIVE = EPOLLEXCLUSIVE;

#define RET(expr) ((expr) < 0 ? -errno : 0)

int cep_epoll_create(void) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int cep_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    int ops[3] = {EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL};
    if (op < 0 || op > 2) return -EINVAL;
    return RET(epoll_ctl(epfd, ops[op], fd, &ev));
}

int cep_epoll_wait(int epfd, uint32_t *events_out, uint64_t *data_out, int max_events, int timeout_ms) {
    struct epoll_event evs[256];
    if (max_events > 256) max_events = 256;
    int n = epoll_wait(epfd, evs, max_events, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        events_out[i] = evs[i].events;
        data_out[i] = evs[i].data.u64;
    }
    return n;
}

int cep_eventfd_create(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int cep_eventfd_signal(int fd) {
    uint64_t one = 1;
    for (;;) {
        ssize_t n = write(fd, &one, sizeof one);
        if (n >= 0) return 0;
        if (errno == EINTR) continue;
        return errno == EAGAIN ? 0 : -errno; /* counter saturated: already signalled */
    }
}

int cep_eventfd_drain(int fd) {
    uint64_t value;
    for (;;) {
        ssize_t n = read(fd, &value, sizeof value);
        if (n >= 0) return 0;
        if (errno == EINTR) continue;
        return errno == EAGAIN ? 0 : -errno;
    }
}

int cep_signalfd_create(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -EINVAL;
    sigdelset(&set, SIGPIPE);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int cep_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n < 0) return -errno;
    if ((size_t)n != sizeof info) return -EIO;
    return (int)info.ssi_signo;
}

void cep_block_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void cep_ignore_sigpipe(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int fill_sockaddr(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof *v4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *len = sizeof *v6;
        return 0;
    }
    return -EINVAL;
}

int cep_tcp_listen(const char *host, uint16_t port, int backlog, int reuse_port) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (fill_sockaddr(host, port, &ss, &len) < 0) return -EINVAL;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static void format_peer(const struct sockaddr_storage *ss, char *peer, size_t cap) {
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        port = ntohs(v4->sin_port);
        snprintf(peer, cap, "%s:%u", host, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            /* An IPv4 client of a dual-stack [::] listener: shown as IPv4. */
            inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], host, sizeof host);
            snprintf(peer, cap, "%s:%u", host, (unsigned)ntohs(v6->sin6_port));
            return;
        }
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        port = ntohs(v6->sin6_port);
        snprintf(peer, cap, "[%s]:%u", host, port);
    } else if (cap > 0) {
        snprintf(peer, cap, "unknown");
    }
}

int cep_tcp_accept(int listen_fd, char *peer, size_t peer_cap) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    for (;;) {
        int fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            /* Responses are written as head + body (sendfile): without
             * TCP_NODELAY the body's last segment waits for the client's
             * delayed ACK (40 ms). */
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (peer && peer_cap) format_peer(&ss, peer, peer_cap);
            return fd;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return -errno;
    }
}

int cep_tcp_connect(int family, const uint8_t *addr, uint16_t port) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        memcpy(&v4->sin_addr, addr, 4);
        len = sizeof *v4;
    } else if (family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        memcpy(&v6->sin6_addr, addr, 16);
        len = sizeof *v6;
    } else {
        return -EAFNOSUPPORT;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int cep_socket_idle_clean(int fd) {
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 1 : 0;
}

int cep_socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
    return -err;
}

int cep_socket_local_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -errno;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

int cep_tcp_nodelay(int fd) {
    int one = 1;
    return RET(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
}

int cep_close_reset(int fd) {
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    return RET(close(fd));
}

int cep_close(int fd) { return RET(close(fd)); }

int cep_shutdown_write(int fd) { return RET(shutdown(fd, SHUT_WR)); }

ssize_t cep_peek(int fd, void *buf, size_t len) {
    for (;;) {
        ssize_t n = recv(fd, buf, len, MSG_PEEK);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return -errno;
    }
}

ssize_t cep_read(int fd, void *buf, size_t len) {
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return -errno;
    }
}

ssize_t cep_write(int fd, const void *buf, size_t len) {
    for (;;) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == ENOTSOCK) {
            n = write(fd, buf, len);
            if (n >= 0) return n;
        }
        return -errno;
    }
}

ssize_t cep_writev2(int fd, const void *a, size_t alen, const void *b, size_t blen) {
    struct iovec iov[2] = {{(void *)a, alen}, {(void *)b, blen}};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = blen ? 2 : 1;
    for (;;) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return -errno;
    }
}

ssize_t cep_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count) {
    for (;;) {
        off_t off = (off_t)*offset;
        ssize_t n = sendfile(out_fd, in_fd, &off, count);
        if (n >= 0) {
            *offset = (int64_t)off;
            return n;
        }
        if (errno == EINTR) continue;
        return -errno;
    }
}

int cep_open_read(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int cep_open_create(const char *path) {
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : fd;
}

ssize_t cep_pwrite_all(int fd, const void *buf, size_t len, int64_t offset) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(offset + (int64_t)done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) return -EIO;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t cep_pread(int fd, void *buf, size_t len, int64_t offset) {
    for (;;) {
        ssize_t n = pread(fd, buf, len, (off_t)offset);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return -errno;
    }
}

int64_t cep_file_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) < 0) return -errno;
    return (int64_t)st.st_size;
}

int cep_fsync(int fd) { return RET(fsync(fd)); }

int cep_fsync_dir(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int r = RET(fsync(fd));
    close(fd);
    return r;
}

int cep_rename(const char *from, const char *to) { return RET(rename(from, to)); }

int cep_unlink(const char *path) { return RET(unlink(path)); }

int cep_mkdir_p(const char *path) {
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -errno;
            buf[i] = saved;
        }
    }
    return 0;
}

int cep_dir_lock(const char *dir, const char *pid_path, int *holder_pid) {
    if (holder_pid) *holder_pid = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK && holder_pid) {
            int pid_fd = open(pid_path, O_RDONLY | O_CLOEXEC);
            if (pid_fd >= 0) {
                char text[32] = {0};
                ssize_t n = read(pid_fd, text, sizeof text - 1);
                if (n > 0) *holder_pid = atoi(text);
                close(pid_fd);
            }
        }
        return -e;
    }
    /* Best effort: a read-only or full cache still runs (and is still locked). */
    int pid_fd = open(pid_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (pid_fd >= 0) {
        char text[32];
        int len = snprintf(text, sizeof text, "%d\n", (int)getpid());
        if (write(pid_fd, text, (size_t)len) != len) { /* the lock still holds */ }
        close(pid_fd);
    }
    return fd;
}

int64_t cep_stat_size(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) return -errno;
    if (!S_ISREG(st.st_mode)) return -EINVAL;
    return (int64_t)st.st_size;
}

int cep_resolve(const char *host, uint8_t *addrs, int *families, int cap) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) return -1000 + rc;
    int n = 0;
    /* IPv4 first: loopback tests and most registries answer there. */
    for (int pass = 0; pass < 2; pass++) {
        for (struct addrinfo *ai = res; ai && n < cap; ai = ai->ai_next) {
            if (pass == 0 && ai->ai_family == AF_INET) {
                memset(addrs + 16 * n, 0, 16);
                memcpy(addrs + 16 * n, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
                families[n++] = AF_INET;
            } else if (pass == 1 && ai->ai_family == AF_INET6) {
                memcpy(addrs + 16 * n, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
                families[n++] = AF_INET6;
            }
        }
    }
    freeaddrinfo(res);
    return n;
}

int64_t cep_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t cep_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int cep_cpu_count(void) {
    /* The CPUs this process may run on (taskset, a container's cpuset), not the
     * machine's: two loops time-sharing one CPU make each other's requests wait
     * a scheduler slice. */
    /* A kernel with more possible CPUs than the mask has bits answers EINVAL: grow it
     * (1,024 bits, cpu_set_t's size, up to 2^20). */
    for (int bits = 1024; bits <= (1 << 20); bits *= 2) {
        cpu_set_t *set = CPU_ALLOC(bits);
        if (set == NULL) break;
        size_t size = CPU_ALLOC_SIZE(bits);
        int rc = sched_getaffinity(0, size, set);
        int err = errno;
        int n = rc == 0 ? CPU_COUNT_S(size, set) : 0;
        CPU_FREE(set);
        if (n > 0) return n;
        if (rc == 0 || err != EINVAL) break;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int64_t cep_process_open_fds(void) {
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) return -errno;
    int64_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(dir);
    return count - 1; /* the directory's own descriptor */
}

int64_t cep_process_resident_bytes(void) {
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    char text[128];
    ssize_t n = read(fd, text, sizeof text - 1);
    int saved = errno;
    close(fd);
    if (n <= 0) return n < 0 ? -saved : -EIO;
    text[n] = '\0';
    unsigned long long size_pages = 0, resident_pages = 0;
    if (sscanf(text, "%llu %llu", &size_pages, &resident_pages) != 2) return -EIO;
    return (int64_t)resident_pages * (int64_t)sysconf(_SC_PAGESIZE);
}

int64_t cep_heap_in_use_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return (int64_t)(info.uordblks + info.hblkhd);
}
