#ifndef TSMFS_PROCESS_MEMORY_H
#define TSMFS_PROCESS_MEMORY_H

#include <stddef.h>
#include <sys/types.h>

/* Copies between this process and another's memory (process_vm_readv/writev, which glibc only
   declares under _GNU_SOURCE, hidden from Swift), waiting at most `deadline_ms` for it.

   A caller's memory can make that wait endless: a page in a userfaultfd region that nobody resolves
   blocks the copy inside the caller's page fault, in a wait only a fatal signal ends. So the copy
   runs in a child that shares this process's memory (clone with CLONE_VM) and can be killed on its
   own: past the deadline it is SIGKILLed, the copy fails with ETIMEDOUT, and the calling thread is
   free again.

   Return the bytes copied, or -1 with errno (ETIMEDOUT when the deadline passed). */
ssize_t tsmfs_read_process_memory(pid_t pid, void *local, size_t count, unsigned long remote, int deadline_ms);
ssize_t tsmfs_write_process_memory(pid_t pid, const void *local, size_t count, unsigned long remote, int deadline_ms);

#endif
