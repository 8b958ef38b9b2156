/* devices.h: virtio devices put behind virtio-mmio windows, with their interrupt and queue
 * notifications wired to KVM.
 *
 * Device i gets the window HY_VIRTIO_MMIO_BASE + i * HY_VIRTIO_MMIO_SIZE,
 * registered on the MMIO bus, and GSI HY_VIRTIO_IRQ_BASE + i, raised through
 * a KVM irqfd. Each of its queues gets a KVM ioeventfd on QueueNotify, so a
 * notification reaches the event loop without a vCPU exit to user space.
 * Devices are attached in order while the VM is set up; the guest sees them
 * in that order (the console first, then the shares, then the NICs, each in the
 * plan's order).
 */
#ifndef HYRUN_VMM_DEVICES_H
#define HYRUN_VMM_DEVICES_H

#include <stddef.h>

#include "vmm/layout.h"
#include "vmm/virtio/mmio.h"

struct bus;
struct event_loop;
struct guest_mem;
struct kvm;
struct queue_notify;

struct vm_devices {
	struct kvm *kvm;
	const struct guest_mem *mem;
	struct bus *mmio_bus;
	struct virtio_mmio mmio[HY_VIRTIO_MAX_DEVS];
	int irqfd[HY_VIRTIO_MAX_DEVS];
	unsigned nr;
	struct queue_notify *notifies;
	unsigned nr_notifies, cap_notifies;
	struct event_loop *loop; /* set by devices_watch() */
};

void devices_init(struct vm_devices *d, struct kvm *kvm, const struct guest_mem *mem,
		  struct bus *mmio_bus);

/* Put `dev` behind the next window. 0, or -errno with err filled (-ENOSPC
 * after HY_VIRTIO_MAX_DEVS devices). */
int devices_attach(struct vm_devices *d, struct virtio_dev *dev, char *err, size_t errlen);

/* Watch every queue's notifications on `loop`; once, after the last attach. */
int devices_watch(struct vm_devices *d, struct event_loop *loop, char *err, size_t errlen);

/* Close the eventfds; the devices themselves belong to the caller. */
void devices_destroy(struct vm_devices *d);

#endif
