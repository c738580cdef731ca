// Linux system calls the Swift Glibc module does not expose (recvmmsg/sendmmsg need _GNU_SOURCE;
// <sys/epoll.h>, <sys/eventfd.h> and <sys/random.h> are not in its module map). As SwiftNIO's
// CNIOLinux does, the batch header is re-declared here with the kernel's layout so Swift can build
// arrays of it; the .c file, compiled with _GNU_SOURCE, casts to the real type.
#ifndef C_AIRLOCK_SYS_H
#define C_AIRLOCK_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <netinet/in.h>

/// Same layout as glibc's `struct mmsghdr`.
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} airlock_mmsghdr;

/// recvmmsg(2) without a timeout. Returns the count received, or -1 with errno.
int airlock_recvmmsg(int fd, airlock_mmsghdr *messages, unsigned int count, int flags);
/// sendmmsg(2). Returns the count sent, or -1 with errno.
int airlock_sendmmsg(int fd, airlock_mmsghdr *messages, unsigned int count, int flags);

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC.
int airlock_accept(int fd, struct sockaddr *address, socklen_t *length);

int airlock_epoll_create(void);
int airlock_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// epoll_wait(2) writing the ready events' data and flags into two plain arrays (the packed
/// `struct epoll_event` is awkward from Swift). Returns the count, or -1 with errno.
int airlock_epoll_wait(int epfd, uint64_t *data, uint32_t *events, int capacity, int timeout_ms);

/// eventfd(2), non-blocking and close-on-exec: wakes a thread blocked in epoll_wait.
int airlock_eventfd(void);
int airlock_eventfd_signal(int fd);
int airlock_eventfd_drain(int fd);

/// getrandom(2) until `length` bytes are filled. Returns 0, or -1 with errno.
int airlock_random_bytes(void *buffer, size_t length);

/// Blocks SIGHUP, SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 in the calling thread (and the threads it starts),
/// so one thread can take them with airlock_wait_signal.
int airlock_block_signals(void);
/// Waits for one of the signals blocked by airlock_block_signals; returns its number.
int airlock_wait_signal(void);

/// Nanoseconds since the Unix epoch (CLOCK_REALTIME), and a monotonic clock in nanoseconds.
int64_t airlock_realtime_ns(void);
int64_t airlock_monotonic_ns(void);

enum {
    AIRLOCK_EPOLLIN = EPOLLIN,
    AIRLOCK_EPOLLOUT = EPOLLOUT,
    AIRLOCK_EPOLLERR = EPOLLERR,
    AIRLOCK_EPOLLHUP = EPOLLHUP,
    AIRLOCK_EPOLLRDHUP = EPOLLRDHUP,
    AIRLOCK_EPOLL_CTL_ADD = EPOLL_CTL_ADD,
    AIRLOCK_EPOLL_CTL_MOD = EPOLL_CTL_MOD,
    AIRLOCK_EPOLL_CTL_DEL = EPOLL_CTL_DEL,
};

/// mallopt(M_MMAP_THRESHOLD, bytes) (<malloc.h> is not in the Glibc module map). Returns 1 on success.
int airlock_set_mmap_threshold(int bytes);

#endif
