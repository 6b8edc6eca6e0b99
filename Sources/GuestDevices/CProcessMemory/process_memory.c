#define _GNU_SOURCE
#include <sys/uio.h>
#include "process_memory.h"

ssize_t tsmfs_read_process_memory(pid_t pid, void *local, size_t count, unsigned long remote) {
    struct iovec here = {.iov_base = local, .iov_len = count};
    struct iovec there = {.iov_base = (void *)remote, .iov_len = count};
    return process_vm_readv(pid, &here, 1, &there, 1, 0);
}

ssize_t tsmfs_write_process_memory(pid_t pid, const void *local, size_t count, unsigned long remote) {
    struct iovec here = {.iov_base = (void *)local, .iov_len = count};
    struct iovec there = {.iov_base = (void *)remote, .iov_len = count};
    return process_vm_writev(pid, &here, 1, &there, 1, 0);
}
