/* bundle.h: hyrun-vmm's side of a container: the spec (given or synthesised)
 * turned into virtio-fs shares, file copies and the guest's config.json.
 *
 * The host's decisions are made here, once: which directory each share
 * serves and whether it is read-only, which bind mounts become copies, and
 * what the guest is told (agent_proto.h, HY_INIT_CONFIG).
 */
#ifndef HYRUN_OCI_BUNDLE_H
#define HYRUN_OCI_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "oci/spec.h"

/* Largest regular file a bind mount may copy into the per-VM archive. */
#define OCI_BUNDLE_FILE_MAX (16u << 20)

struct oci_share {
	char tag[24];	/* HY_SHARE_ROOTFS, or "m<mount index>" */
	char *host_dir; /* absolute, resolved */
	bool readonly;
};

struct oci_file {
	char guest_path[48]; /* HY_INIT_FILES "/<mount index>" */
	void *data;
	size_t len;
	unsigned mode; /* permission bits of the host file */
};

struct oci_bundle {
	struct oci_spec spec;
	struct oci_share *shares; /* shares[0] is the root */
	size_t nr_shares;
	struct oci_file *files;
	size_t nr_files;
};

/*
 * spec_path: a config.json (root.path and relative bind sources are taken
 * relative to its directory, as in a bundle), or NULL to synthesise a minimal
 * spec around rootfs_dir. rootfs_dir, when given, replaces root.path. argv,
 * when not NULL, replaces process.args. Returns 0, or -errno with a message
 * naming the file and member in err.
 */
int oci_bundle_load(struct oci_bundle *b, const char *spec_path, const char *rootfs_dir,
		    char *const *argv, char *err, size_t errlen);
void oci_bundle_free(struct oci_bundle *b);

/* The spec as the guest gets it (with the hyrun.* members), malloc'd. */
char *oci_bundle_guest_config(const struct oci_bundle *b);

#endif
