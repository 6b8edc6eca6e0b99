#ifndef TSMFS_CFUSE3_SHIM_H
#define TSMFS_CFUSE3_SHIM_H

/* The low-level API of libfuse 3.12+ (multi-threaded loop configured through fuse_loop_cfg_*). */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <malloc.h>
#include <sys/prctl.h>

/* fuse_session_loop_mt is a macro selecting a versioned symbol; Swift cannot call macros. */
static inline int tsmfs_fuse_session_loop_mt(struct fuse_session *se, struct fuse_loop_config *config) {
    return fuse_session_loop_mt(se, config);
}

/* Bit-fields of fuse_file_info, set from Swift without relying on bit-field import. */
static inline void tsmfs_fi_set_direct_io(struct fuse_file_info *fi, int on) { fi->direct_io = on ? 1 : 0; }
static inline void tsmfs_fi_set_nonseekable(struct fuse_file_info *fi, int on) { fi->nonseekable = on ? 1 : 0; }
static inline void tsmfs_fi_set_keep_cache(struct fuse_file_info *fi, int on) { fi->keep_cache = on ? 1 : 0; }
static inline void tsmfs_fi_set_noflush(struct fuse_file_info *fi, int on) { fi->noflush = on ? 1 : 0; }

/* glibc keeps freed heap memory; this hands it back to the kernel (a GNU extension Swift's Glibc hides). */
static inline void tsmfs_release_free_memory(void) { malloc_trim(0); }

/* Asks the kernel for SIGTERM when the parent exits (prctl is variadic, which Swift cannot call). */
static inline int tsmfs_terminate_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGTERM); }

#endif
