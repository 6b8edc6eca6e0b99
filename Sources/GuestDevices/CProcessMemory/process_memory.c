#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "process_memory.h"

struct transfer {
    pid_t pid;
    void *local;
    size_t count;
    unsigned long remote;
    int write;
    ssize_t result;
    int error;
};

/* Runs in the CLONE_VM child: only system calls, no allocation, no locks, so killing it at any point
   leaves nothing of this process's state half-changed. */
static int move(void *argument) {
    struct transfer *transfer = argument;
    struct iovec here = {.iov_base = transfer->local, .iov_len = transfer->count};
    struct iovec there = {.iov_base = (void *)transfer->remote, .iov_len = transfer->count};
    ssize_t result = transfer->write ? syscall(SYS_process_vm_writev, transfer->pid, &here, 1, &there, 1, 0)
                                     : syscall(SYS_process_vm_readv, transfer->pid, &here, 1, &there, 1, 0);
    transfer->error = result < 0 ? errno : 0;
    transfer->result = result;
    syscall(SYS_exit, 0);
    return 0;
}

static ssize_t transfer_with_deadline(struct transfer *transfer, int deadline_ms) {
    const size_t stack_size = 64 * 1024;
    char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -1;
    transfer->result = -1;
    transfer->error = EFAULT;
    int pidfd = -1;
    /* No exit signal: the child is reaped through its pidfd and disturbs no SIGCHLD handling. */
    pid_t child = clone(move, stack + stack_size, CLONE_VM | CLONE_PIDFD | CLONE_UNTRACED, transfer, &pidfd);
    if (child < 0) {
        int error = errno;
        munmap(stack, stack_size);
        errno = error;
        return -1;
    }
    struct pollfd ready = {.fd = pidfd, .events = POLLIN};
    int waited;
    do {
        waited = poll(&ready, 1, deadline_ms);
    } while (waited < 0 && errno == EINTR);
    int timed_out = waited == 0;
    if (timed_out) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    siginfo_t info;
    while (waitid(P_PIDFD, pidfd, &info, WEXITED | __WALL) < 0 && errno == EINTR) {
    }
    close(pidfd);
    munmap(stack, stack_size);
    if (timed_out) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (transfer->result < 0) errno = transfer->error;
    return transfer->result;
}

ssize_t tsmfs_read_process_memory(pid_t pid, void *local, size_t count, unsigned long remote, int deadline_ms) {
    struct transfer transfer = {.pid = pid, .local = local, .count = count, .remote = remote, .write = 0};
    return transfer_with_deadline(&transfer, deadline_ms);
}

ssize_t tsmfs_write_process_memory(pid_t pid, const void *local, size_t count, unsigned long remote, int deadline_ms) {
    struct transfer transfer = {.pid = pid, .local = (void *)local, .count = count, .remote = remote, .write = 1};
    return transfer_with_deadline(&transfer, deadline_ms);
}
