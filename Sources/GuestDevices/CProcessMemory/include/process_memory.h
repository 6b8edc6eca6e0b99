#ifndef TSMFS_PROCESS_MEMORY_H
#define TSMFS_PROCESS_MEMORY_H

#include <stddef.h>
#include <sys/types.h>

/* Copies between this process and another's memory (process_vm_readv/writev, which glibc only
   declares under _GNU_SOURCE, hidden from Swift). Return the bytes copied, or -1 with errno. */
ssize_t tsmfs_read_process_memory(pid_t pid, void *local, size_t count, unsigned long remote);
ssize_t tsmfs_write_process_memory(pid_t pid, const void *local, size_t count, unsigned long remote);

#endif
