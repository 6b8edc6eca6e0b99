/*
 * fuse-floor: the cost floor tsmfs-bench compares tsmfs against. A libfuse low-level
 * filesystem with tsmfs's shape (/tsm/report/<entry>/{generation,inblob,outblob,auxblob}),
 * the same loop (multi-threaded, cloned /dev/fuse descriptors), direct I/O and cache timeouts,
 * but no semantics: every request is answered from a small table under one mutex. The
 * difference between it and tsmfs's echo provider is what tsmfs itself costs per cycle.
 *
 * Usage: fuse-floor MOUNTPOINT [TIMEOUT_SECONDS]   (foreground; SIGTERM/SIGINT unmount)
 */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ENTRIES 65536
#define NAME_LENGTH 256
static const char *files[] = {"generation", "inblob", "outblob", "auxblob"};
static char names[MAX_ENTRIES][NAME_LENGTH];
static char used[MAX_ENTRIES];
static int high_water; /* slots at or above it were never used: lookups stop there */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double timeout = 1.0;
static char blob[128];

/* Inodes: 1 root, 2 tsm, 3 report, entry i owns (i + 1) * 8 and its files + 1 … + 4. */
static void fill(fuse_ino_t ino, struct stat *st) {
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    if (ino <= 3 || ino % 8 == 0) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else {
        int file = (int)(ino % 8) - 1;
        st->st_mode = S_IFREG | (file == 1 ? 0200 : 0444);
        st->st_nlink = 1;
        st->st_size = file == 0 ? 4096 : 0;
    }
}

static void reply_entry(fuse_req_t req, fuse_ino_t ino) {
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    e.ino = ino;
    e.attr_timeout = timeout;
    e.entry_timeout = timeout;
    fill(ino, &e.attr);
    fuse_reply_entry(req, &e);
}

static int find(const char *name) {
    for (int i = 0; i < high_water; i++)
        if (used[i] && strcmp(names[i], name) == 0) return i;
    return -1;
}

static void floor_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    if (parent == 1 && strcmp(name, "tsm") == 0) return reply_entry(req, 2);
    if (parent == 2 && strcmp(name, "report") == 0) return reply_entry(req, 3);
    if (parent == 3) {
        pthread_mutex_lock(&lock);
        int i = find(name);
        pthread_mutex_unlock(&lock);
        if (i >= 0) return reply_entry(req, (fuse_ino_t)(i + 1) * 8);
    } else if (parent > 3 && parent % 8 == 0) {
        for (int f = 0; f < 4; f++)
            if (strcmp(name, files[f]) == 0) return reply_entry(req, parent + 1 + f);
    }
    fuse_reply_err(req, ENOENT);
}

static void floor_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)fi;
    struct stat st;
    fill(ino, &st);
    fuse_reply_attr(req, &st, timeout);
}

static void floor_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) {
    (void)mode;
    if (parent != 3) return (void)fuse_reply_err(req, EPERM);
    pthread_mutex_lock(&lock);
    int slot = find(name) >= 0 ? -2 : -1;
    for (int i = 0; slot == -1 && i < MAX_ENTRIES; i++)
        if (!used[i]) slot = i;
    if (slot >= 0) {
        used[slot] = 1;
        if (slot >= high_water) high_water = slot + 1;
        snprintf(names[slot], NAME_LENGTH, "%s", name);
    }
    pthread_mutex_unlock(&lock);
    if (slot < 0) return (void)fuse_reply_err(req, slot == -2 ? EEXIST : ENOMEM);
    reply_entry(req, (fuse_ino_t)(slot + 1) * 8);
}

static void floor_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) {
    pthread_mutex_lock(&lock);
    int i = parent == 3 ? find(name) : -1;
    if (i >= 0) used[i] = 0;
    pthread_mutex_unlock(&lock);
    fuse_reply_err(req, i >= 0 ? 0 : ENOENT);
}

static void floor_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)ino;
    fi->direct_io = 1;
    /* As tsmfs does: read-only descriptors close without a FLUSH round trip. */
    fi->noflush = (fi->flags & O_ACCMODE) == O_RDONLY;
    fuse_reply_open(req, fi);
}

static void floor_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    (void)fi;
    size_t length = ino % 8 == 1 ? 2 : sizeof blob;
    const char *data = ino % 8 == 1 ? "1\n" : blob;
    if ((size_t)off >= length) return (void)fuse_reply_buf(req, NULL, 0);
    fuse_reply_buf(req, data + off, size < length - (size_t)off ? size : length - (size_t)off);
}

static void floor_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                        struct fuse_file_info *fi) {
    (void)ino; (void)buf; (void)off; (void)fi;
    fuse_reply_write(req, size);
}

static void floor_ok(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)ino; (void)fi;
    fuse_reply_err(req, 0);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fuse-floor MOUNTPOINT [TIMEOUT_SECONDS]\n");
        return 2;
    }
    if (argc > 2) timeout = atof(argv[2]);
    memset(blob, 'x', sizeof blob);
    struct fuse_lowlevel_ops ops;
    memset(&ops, 0, sizeof ops);
    ops.lookup = floor_lookup;
    ops.getattr = floor_getattr;
    ops.mkdir = floor_mkdir;
    ops.rmdir = floor_rmdir;
    ops.open = floor_open;
    ops.read = floor_read;
    ops.write = floor_write;
    ops.flush = floor_ok;
    ops.release = floor_ok;
    char *fuse_argv[] = {argv[0], "-o", "default_permissions,fsname=fuse-floor", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
    /* libfuse only installs its handlers over default dispositions, and a blocked signal never
       arrives; a parent such as a test runner may have left either, so reset both. */
    sigset_t termination;
    sigemptyset(&termination);
    int signals[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        signal(signals[i], SIG_DFL);
        sigaddset(&termination, signals[i]);
    }
    pthread_sigmask(SIG_UNBLOCK, &termination, NULL);
    if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0) return 1;
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(config, 1);
    fuse_loop_cfg_set_max_threads(config, 16);
    int status = fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return status < 0 ? 1 : 0;
}
