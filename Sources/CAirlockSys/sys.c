#define _GNU_SOURCE
#include "CAirlockSys.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(airlock_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(airlock_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int airlock_recvmmsg(int fd, airlock_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int airlock_sendmmsg(int fd, airlock_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int airlock_accept(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int airlock_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int airlock_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = {.events = events, .data = {.u64 = data}};
    return epoll_ctl(epfd, op, fd, &event);
}

int airlock_epoll_wait(int epfd, uint64_t *data, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event ready[256];
    if (capacity > 256) capacity = 256;
    int n = epoll_wait(epfd, ready, capacity, timeout_ms);
    for (int i = 0; i < n; i++) {
        data[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return n;
}

int airlock_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int airlock_eventfd_signal(int fd) { return eventfd_write(fd, 1); }

int airlock_eventfd_drain(int fd) {
    eventfd_t value;
    return eventfd_read(fd, &value);
}

int airlock_random_bytes(void *buffer, size_t length) {
    unsigned char *p = buffer;
    while (length > 0) {
        ssize_t n = getrandom(p, length, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

static void airlock_signal_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
}

int airlock_block_signals(void) {
    sigset_t set;
    airlock_signal_set(&set);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int airlock_wait_signal(void) {
    sigset_t set;
    airlock_signal_set(&set);
    int signal = 0;
    while (sigwait(&set, &signal) != 0) {
    }
    return signal;
}

int64_t airlock_realtime_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int64_t airlock_monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int airlock_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
