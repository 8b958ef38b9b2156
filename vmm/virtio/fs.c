/* fs.c: virtio-fs (virtio 1.x section 5.11): queues and worker threads around the FUSE server. */
#include "vmm/virtio/fs.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>

#include "common/err.h"
#include "common/log.h"
#include "vmm/fs/fuse.h"
#include "vmm/fs/passthrough.h"

/* Section 5.11.2: queue 0 is hiprio (FORGET, INTERRUPT), 1.. carry requests. */
#define HIPRIO_QUEUE 0
#define QUEUE_MAX 256
#define MAX_REQUEST_QUEUES 16

struct fs_worker {
	struct virtio_fs *fs;
	unsigned qi;
	int efd; /* notify() -> worker wake-up */
	pthread_t thread;
	/* Under dev->lock. */
	bool started, stop, exited;
	/* Owned by the thread. */
	struct virtq_elem elem;
	char *req, *rep;
	size_t buf_size;
};

struct virtio_fs {
	struct virtio_dev dev;
	struct virtio_fs_config config;
	unsigned nr_queues;
	struct virtq *queues;
	struct fs_worker *workers;
	pthread_cond_t exited; /* with dev.lock: a worker left its loop */
	struct passthrough *pt;
	struct fuse_server *srv;
	char name[16 + VIRTIO_FS_TAG_MAX];
};

static struct virtio_fs *to_fs(struct virtio_dev *d)
{
	return (struct virtio_fs *)((char *)d - offsetof(struct virtio_fs, dev));
}

/*
 * Serve the popped element (without dev->lock: the descriptors are ours until
 * pushed). The request is copied out first so the guest cannot change it
 * while it is checked. Returns the reply length or -EINVAL for a chain that
 * cannot carry a FUSE request at all.
 */
static ssize_t serve(struct virtio_fs *fs, struct fs_worker *w)
{
	uint64_t in_len = w->elem.out_len < w->buf_size ? w->elem.out_len : w->buf_size;
	uint64_t out_size = w->elem.in_len < w->buf_size ? w->elem.in_len : w->buf_size;
	ssize_t n;

	/* An oversized request is copied short: its header's len then no
	 * longer matches and it is answered with EINVAL. */
	in_len = virtq_elem_read(&w->elem, 0, w->req, in_len);
	n = fuse_server_handle(fs->srv, w->req, (size_t)in_len, w->rep, (size_t)out_size);
	if (n > 0 && virtq_elem_write(&w->elem, 0, w->rep, (uint64_t)n) != (uint64_t)n)
		return -EINVAL;
	return n;
}

static void wait_notify(struct fs_worker *w)
{
	struct pollfd p = {.fd = w->efd, .events = POLLIN};
	uint64_t v;

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	/* Consume the wake-ups (non-blocking: another reader cannot exist,
	 * but a spurious poll return must not hang here). */
	if (read(w->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("%s: worker %u eventfd: %m", w->fs->dev.name, w->qi);
}

static void *worker_main(void *arg)
{
	struct fs_worker *w = arg;
	struct virtio_fs *fs = w->fs;
	struct virtio_dev *d = &fs->dev;
	struct virtq *q = &fs->queues[w->qi];
	sigset_t all;
	int ret;

	/* Signals are for the vCPU and main threads. Not SIGSYS: it reports a
	 * call the seccomp filter refused, and the kernel turns a blocked one
	 * into a silent kill (vmm/seccomp.c). */
	sigfillset(&all);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	ret = passthrough_thread_init();
	if (ret < 0)
		log_warn("%s: worker cannot get a private umask/cwd: %s", d->name, strerror(-ret));

	pthread_mutex_lock(&d->lock);
	while (!w->stop) {
		ssize_t len;

		ret = 0;
		if (d->active && !d->broken && q->ready)
			ret = virtq_pop(q, &w->elem);
		if (ret < 0)
			virtio_dev_set_broken(d, "malformed descriptor chain");
		if (ret <= 0) {
			/* With event idx, an empty pop republished avail_event,
			 * so the next buffer kicks the eventfd. */
			pthread_mutex_unlock(&d->lock);
			wait_notify(w);
			pthread_mutex_lock(&d->lock);
			continue;
		}
		pthread_mutex_unlock(&d->lock);
		len = serve(fs, w);
		pthread_mutex_lock(&d->lock);
		/* After a reset the buffers belong to the driver again. */
		if (w->stop)
			break;
		if (len < 0) {
			virtio_dev_set_broken(d, "FUSE request without room for a header");
			continue;
		}
		if (virtq_push(q, w->elem.head, (uint32_t)len) < 0) {
			virtio_dev_set_broken(d, "used ring outside guest memory");
			continue;
		}
		virtio_dev_notify_used(d, q);
	}
	w->exited = true;
	pthread_cond_broadcast(&fs->exited);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* dev->lock held. Waits (releasing the lock) until every worker has left. */
static void stop_workers(struct virtio_fs *fs)
{
	uint64_t one = 1;

	passthrough_stop(fs->pt, true);
	for (unsigned i = 0; i < fs->nr_queues; i++) {
		struct fs_worker *w = &fs->workers[i];

		if (!w->started)
			continue;
		w->stop = true;
		if (write(w->efd, &one, sizeof(one)) != sizeof(one))
			log_warn("%s: cannot wake worker %u: %m", fs->dev.name, i);
	}
	for (unsigned i = 0; i < fs->nr_queues; i++) {
		struct fs_worker *w = &fs->workers[i];
		uint64_t v;

		if (!w->started)
			continue;
		while (!w->exited)
			pthread_cond_wait(&fs->exited, &fs->dev.lock);
		/* It only has its return left to do. */
		pthread_join(w->thread, NULL);
		w->started = w->stop = w->exited = false;
		if (read(w->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			log_warn("%s: worker %u eventfd: %m", fs->dev.name, i);
	}
	passthrough_stop(fs->pt, false);
}

/* --- device ops (dev->lock held) ------------------------------------------------ */

static uint64_t fs_features(struct virtio_dev *d)
{
	/* VIRTIO_FS_F_NOTIFICATION is not offered. */
	return 0;
}

static void fs_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	memcpy(data, (const char *)&to_fs(d)->config + off, len);
}

static void fs_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	/* Section 5.11.4: the configuration is read-only. */
}

static int fs_activate(struct virtio_dev *d)
{
	struct virtio_fs *fs = to_fs(d);
	int ret;

	for (unsigned i = 0; i < fs->nr_queues; i++) {
		struct fs_worker *w = &fs->workers[i];

		if (w->started)
			continue;
		ret = pthread_create(&w->thread, NULL, worker_main, w);
		if (ret) {
			log_error("%s: cannot start worker %u: %s", d->name, i, strerror(ret));
			stop_workers(fs);
			return -ret;
		}
		w->started = true;
	}
	return 0;
}

/* The event loop thread: only a wake-up, the work is the worker's. */
static void fs_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_fs *fs = to_fs(d);
	uint64_t one = 1;

	if (q < fs->nr_queues && fs->workers[q].started &&
	    write(fs->workers[q].efd, &one, sizeof(one)) != sizeof(one))
		log_warn("%s: cannot wake worker %u: %m", d->name, q);
}

static void fs_reset(struct virtio_dev *d)
{
	struct virtio_fs *fs = to_fs(d);

	stop_workers(fs);
	/* A new driver starts with INIT: drop the old session's nodes and
	 * handles. */
	fuse_server_reset(fs->srv);
}

static const struct virtio_dev_ops fs_ops = {
    .features = fs_features,
    .config_read = fs_config_read,
    .config_write = fs_config_write,
    .activate = fs_activate,
    .notify = fs_notify,
    .reset = fs_reset,
};

/* --- public --------------------------------------------------------------------- */

struct virtio_fs *virtio_fs_new(const char *tag, const char *root, bool readonly,
				unsigned nr_request_queues, char *err, size_t errlen)
{
	struct virtio_fs *fs;
	size_t tag_len = tag ? strlen(tag) : 0;

	if (tag_len == 0 || tag_len > VIRTIO_FS_TAG_MAX) {
		hy_err(err, errlen, 0, "virtio-fs: tag must be 1 to %d bytes", VIRTIO_FS_TAG_MAX);
		return NULL;
	}
	if (nr_request_queues < 1 || nr_request_queues > MAX_REQUEST_QUEUES) {
		hy_err(err, errlen, 0, "virtio-fs: %u request queues (1 to %d)", nr_request_queues,
		       MAX_REQUEST_QUEUES);
		return NULL;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		goto nomem;
	fs->nr_queues = 1 + nr_request_queues;
	fs->queues = calloc(fs->nr_queues, sizeof(*fs->queues));
	fs->workers = calloc(fs->nr_queues, sizeof(*fs->workers));
	if (!fs->queues || !fs->workers)
		goto nomem;
	for (unsigned i = 0; i < fs->nr_queues; i++)
		fs->workers[i].efd = -1;
	for (unsigned i = 0; i < fs->nr_queues; i++) {
		struct fs_worker *w = &fs->workers[i];

		w->fs = fs;
		w->qi = i;
		w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		/* The hiprio queue only carries FORGET and INTERRUPT. */
		w->buf_size = i == HIPRIO_QUEUE ? 4096 : FUSE_SERVER_BUF_SIZE;
		w->req = malloc(w->buf_size);
		w->rep = malloc(w->buf_size);
		if (w->efd < 0 || !w->req || !w->rep) {
			hy_err(err, errlen, 0, "virtio-fs: cannot set up queue %u: %m", i);
			goto fail;
		}
	}
	fs->pt = passthrough_new(root, readonly, err, errlen);
	if (!fs->pt)
		goto fail;
	fs->srv = fuse_server_new(fs->pt);
	if (!fs->srv)
		goto nomem;
	memcpy(fs->config.tag, tag, tag_len);
	fs->config.num_request_queues = htole32(nr_request_queues);
	snprintf(fs->name, sizeof(fs->name), "virtio-fs(%s)", tag);
	pthread_cond_init(&fs->exited, NULL);
	virtio_dev_init(&fs->dev, &fs_ops, fs->name, VIRTIO_ID_FS, fs->queues, fs->nr_queues,
			QUEUE_MAX, sizeof(fs->config));
	return fs;

nomem:
	hy_err(err, errlen, 0, "virtio-fs: out of memory");
fail:
	if (fs) {
		fuse_server_free(fs->srv);
		passthrough_free(fs->pt);
		for (unsigned i = 0; fs->workers && i < fs->nr_queues; i++) {
			if (fs->workers[i].efd >= 0)
				close(fs->workers[i].efd);
			free(fs->workers[i].req);
			free(fs->workers[i].rep);
		}
		free(fs->workers);
		free(fs->queues);
		free(fs);
	}
	return NULL;
}

struct virtio_dev *virtio_fs_dev(struct virtio_fs *fs)
{
	return &fs->dev;
}

void virtio_fs_free(struct virtio_fs *fs)
{
	if (!fs)
		return;
	pthread_mutex_lock(&fs->dev.lock);
	stop_workers(fs);
	pthread_mutex_unlock(&fs->dev.lock);
	fuse_server_free(fs->srv);
	passthrough_free(fs->pt);
	for (unsigned i = 0; i < fs->nr_queues; i++) {
		close(fs->workers[i].efd);
		free(fs->workers[i].req);
		free(fs->workers[i].rep);
	}
	pthread_cond_destroy(&fs->exited);
	pthread_mutex_destroy(&fs->dev.lock);
	free(fs->workers);
	free(fs->queues);
	free(fs);
}
