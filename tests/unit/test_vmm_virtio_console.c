/* test_vmm_virtio_console.c: the multiport console, driven as the Linux guest driver drives it. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "common/agent_proto.h"
#include "common/log.h"
#include "vmm/event.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/mmio.h"

#define RAM_SIZE 0x100000ULL
#define NQ (4 + 2 * (HY_CONSOLE_NR_PORTS - 1))
#define QN 16
#define BUF_SIZE 0x400
#define CTRL_RX 2
#define CTRL_TX 3

static struct guest_mem gm;
static uint8_t *ram;
static struct event_loop *loop;
static pthread_t loop_thread;
static bool loop_running;
static struct virtio_console *con;
static struct virtio_mmio mt;
static int irq_fd;
static int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};

/* The guest's view of each queue. */
static uint16_t g_avail[NQ], g_used[NQ];
static bool g_event_idx; /* negotiate VIRTIO_RING_F_EVENT_IDX and honour avail_event */

static unsigned rxq(unsigned port)
{
	return port == 0 ? 0 : 4 + 2 * (port - 1);
}

static unsigned txq(unsigned port)
{
	return rxq(port) + 1;
}

static uint64_t desc_gpa(unsigned qi)
{
	return 0x10000 + qi * 0x1000;
}

static uint64_t avail_gpa(unsigned qi)
{
	return desc_gpa(qi) + 0x200;
}

static uint64_t used_gpa(unsigned qi)
{
	return desc_gpa(qi) + 0x400;
}

static uint64_t buf_gpa(unsigned qi, unsigned d)
{
	return 0x20000 + qi * (QN * BUF_SIZE) + d * BUF_SIZE;
}

static void *hva(uint64_t gpa)
{
	return ram + gpa;
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;

	virtio_mmio_access(&mt, off, &v, 4, false);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_access(&mt, off, &v, 4, true);
}

/* Post one single-descriptor buffer, as virtqueue_add_{in,out}buf() would. */
static void post_raw(unsigned qi, uint16_t head, bool writable, const void *data, uint32_t len,
		     bool kick)
{
	struct vring_desc *desc = hva(desc_gpa(qi));
	struct vring_avail *av = hva(avail_gpa(qi));
	unsigned d = head % QN;

	if (data)
		memcpy(hva(buf_gpa(qi, d)), data, len);
	desc[d].addr = buf_gpa(qi, d);
	desc[d].len = len;
	desc[d].flags = writable ? VRING_DESC_F_WRITE : 0;
	desc[d].next = 0;
	av->ring[g_avail[qi] % QN] = head;
	g_avail[qi]++;
	__atomic_store_n(&av->idx, g_avail[qi], __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (kick && g_event_idx) {
		/* virtqueue_kick_prepare(): only past the device's avail_event. */
		uint16_t event;

		memcpy(&event, hva(used_gpa(qi) + 4 + 8 * QN), sizeof(event));

		kick = vring_need_event(event, g_avail[qi], (uint16_t)(g_avail[qi] - 1));
	}
	if (kick)
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

static void post(unsigned qi, bool writable, const void *data, uint32_t len)
{
	post_raw(qi, g_avail[qi] % QN, writable, data, len, true);
}

static bool get_used(unsigned qi, uint16_t *id, uint32_t *len)
{
	struct vring_used *u = hva(used_gpa(qi));

	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == g_used[qi])
		return false;
	*id = (uint16_t)u->ring[g_used[qi] % QN].id;
	*len = u->ring[g_used[qi] % QN].len;
	g_used[qi]++;
	return true;
}

static bool wait_used(unsigned qi, uint16_t *id, uint32_t *len)
{
	for (int i = 0; i < 2000; i++) {
		if (get_used(qi, id, len))
			return true;
		usleep(1000);
	}
	return false;
}

static void send_ctrl(uint32_t id, uint16_t event, uint16_t value)
{
	struct virtio_console_control m = {.id = id, .event = event, .value = value};
	uint16_t head;
	uint32_t len;

	post(CTRL_TX, false, &m, sizeof(m));
	/* __send_control_msg() spins until the device has used the buffer. */
	cr_assert(wait_used(CTRL_TX, &head, &len), "control message not consumed");
}

/* Take the next message the device put into the control receive queue and
 * give the buffer back, as the driver's control work does. */
static bool next_ctrl(struct virtio_console_control *m, char *name, size_t name_size, bool wait)
{
	uint16_t head;
	uint32_t len;

	if (!(wait ? wait_used(CTRL_RX, &head, &len) : get_used(CTRL_RX, &head, &len)))
		return false;
	cr_assert_geq(len, sizeof(*m));
	cr_assert_leq(len, BUF_SIZE);
	memcpy(m, hva(buf_gpa(CTRL_RX, head % QN)), sizeof(*m));
	if (name) {
		size_t n = len - sizeof(*m);

		cr_assert_lt(n, name_size);
		memcpy(name, (char *)hva(buf_gpa(CTRL_RX, head % QN)) + sizeof(*m), n);
		name[n] = 0;
	}
	post_raw(CTRL_RX, head, true, NULL, BUF_SIZE, true);
	return true;
}

static void expect_ctrl(uint32_t id, uint16_t event, uint16_t value, const char *name)
{
	struct virtio_console_control m;
	char buf[64];

	cr_assert(next_ctrl(&m, buf, sizeof(buf), true), "no control message (want %u/%u)", id,
		  event);
	cr_assert_eq(m.id, id);
	cr_assert_eq(m.event, event, "event %u, want %u", m.event, event);
	if (event != VIRTIO_CONSOLE_PORT_NAME)
		cr_assert_eq(m.value, value);
	if (name)
		cr_assert_str_eq(buf, name);
}

static void *loop_main(void *arg)
{
	event_loop_run(loop);
	return NULL;
}

static void start(int in_fd)
{
	con = virtio_console_new(loop, in_fd, out_pipe[1], err_pipe[1]);
	cr_assert_not_null(con);
	virtio_mmio_init(&mt, virtio_console_dev(con), &gm, 0xd0000000, 5, irq_fd);
	cr_assert_eq(pthread_create(&loop_thread, NULL, loop_main, NULL), 0);
	loop_running = true;
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert_not_null(ram);
	memset(ram, 0, RAM_SIZE);
	memset(&gm, 0, sizeof(gm));
	gm.regions[0] = (struct guest_region){.gpa = 0, .size = RAM_SIZE, .host = ram};
	gm.nr_regions = 1;
	gm.ram_size = RAM_SIZE;
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	g_event_idx = false;
	cr_assert_eq(pipe2(in_pipe, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out_pipe, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(err_pipe, O_CLOEXEC), 0);
	irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert_geq(irq_fd, 0);
	loop = event_loop_new();
	cr_assert_not_null(loop);
	con = NULL;
	loop_running = false;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void teardown(void)
{
	if (loop_running) {
		event_loop_stop(loop);
		pthread_join(loop_thread, NULL);
	}
	virtio_console_free(con);
	event_loop_free(loop);
	for (int i = 0; i < 2; i++) {
		close_fd(&in_pipe[i]);
		close_fd(&out_pipe[i]);
		close_fd(&err_pipe[i]);
	}
	close(irq_fd);
	free(ram);
}

TestSuite(virtio_console, .init = setup, .fini = teardown, .timeout = 20);

/* virtio_mmio probe + virtcons_probe: features, queues, DRIVER_OK, then
 * control receive buffers of ctrl_len bytes (Linux's are a page). */
static void driver_probe_ctrl(uint32_t ctrl_len)
{
	uint64_t f;

	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	cr_assert(f & (1u << VIRTIO_CONSOLE_F_MULTIPORT));
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG + 4), HY_CONSOLE_NR_PORTS, "max_nr_ports");
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_CONSOLE_F_MULTIPORT);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	if (g_event_idx) {
		wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		wr(VIRTIO_MMIO_DRIVER_FEATURES,
		   (1u << VIRTIO_CONSOLE_F_MULTIPORT) | (1u << VIRTIO_RING_F_EVENT_IDX));
	}
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned qi = 0; qi < NQ; qi++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, qi);
		cr_assert_geq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), QN);
		wr(VIRTIO_MMIO_QUEUE_NUM, QN);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(VIRTIO_MMIO_QUEUE_SEL, NQ);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0, "exactly %d queues", NQ);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* fill_queue(c_ivq) */
	for (unsigned i = 0; i < 8; i++)
		post(CTRL_RX, true, NULL, ctrl_len);
}

static void driver_probe(void)
{
	driver_probe_ctrl(BUF_SIZE);
}

static const char *const names[] = {HY_CONSOLE_NAME_STDIN, HY_CONSOLE_NAME_STDOUT,
				    HY_CONSOLE_NAME_STDERR, HY_CONSOLE_NAME_CONTROL};
_Static_assert(sizeof(names) / sizeof(names[0]) == HY_CONSOLE_NR_PORTS, "a name per port");

/* DEVICE_READY, then add_port() for each DEVICE_ADD. Ports stay closed on
 * the guest side unless open_ports. */
static void handshake(bool open_ports)
{
	driver_probe();
	send_ctrl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	for (uint32_t p = 0; p < HY_CONSOLE_NR_PORTS; p++)
		expect_ctrl(p, VIRTIO_CONSOLE_PORT_ADD, 1, NULL);
	for (uint32_t p = 0; p < HY_CONSOLE_NR_PORTS; p++) {
		for (int i = 0; i < 2; i++)
			post(rxq(p), true, NULL, BUF_SIZE);
		send_ctrl(p, VIRTIO_CONSOLE_PORT_READY, 1);
		expect_ctrl(p, VIRTIO_CONSOLE_PORT_NAME, 0, names[p]);
		expect_ctrl(p, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
	}
	if (open_ports)
		for (uint32_t p = 0; p < HY_CONSOLE_NR_PORTS; p++)
			send_ctrl(p, VIRTIO_CONSOLE_PORT_OPEN, 1);
}

static void read_exact(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		cr_assert_gt(n, 0, "short read from pipe");
		got += (size_t)n;
	}
}

static bool pipe_empty(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	char c;
	ssize_t n;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	n = read(fd, &c, 1);
	fcntl(fd, F_SETFL, fl);
	return n < 0 && errno == EAGAIN;
}

Test(virtio_console, control_handshake)
{
	uint64_t irqs = 0;
	struct virtio_console_control m;

	start(in_pipe[0]);
	handshake(true);
	cr_assert_eq(read(irq_fd, &irqs, sizeof(irqs)), (ssize_t)sizeof(irqs));
	cr_assert_gt(irqs, 0, "used buffers must raise the interrupt");
	/* Nothing else was sent. */
	cr_assert_not(next_ctrl(&m, NULL, 0, false));
	/* A repeated DEVICE_READY or PORT_READY changes nothing. */
	send_ctrl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_READY, 1);
	cr_assert_not(next_ctrl(&m, NULL, 0, false));
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

Test(virtio_console, stdout_and_stderr_are_separate)
{
	static const char out[] = "to stdout\n", err[] = "to stderr\n";
	char buf[32];
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	handshake(true);
	post(txq(1), false, out, sizeof(out) - 1);
	post(txq(2), false, err, sizeof(err) - 1);
	post(txq(1), false, "more", 4);
	/* Writes to the stdin port are swallowed. */
	post(txq(0), false, "junk", 4);
	cr_assert(wait_used(txq(1), &head, &len));
	cr_assert(wait_used(txq(1), &head, &len));
	cr_assert(wait_used(txq(2), &head, &len));
	cr_assert(wait_used(txq(0), &head, &len));
	read_exact(out_pipe[0], buf, sizeof(out) - 1 + 4);
	cr_assert_arr_eq(buf, "to stdout\nmore", sizeof(out) - 1 + 4);
	read_exact(err_pipe[0], buf, sizeof(err) - 1);
	cr_assert_arr_eq(buf, err, sizeof(err) - 1);
	cr_assert(pipe_empty(out_pipe[0]));
	cr_assert(pipe_empty(err_pipe[0]));
}

Test(virtio_console, stdin_data_then_eof)
{
	static const char msg[] = "hello stdin";
	struct virtio_console_control m;
	uint16_t head;
	uint32_t len;

	cr_assert_eq(write(in_pipe[1], msg, sizeof(msg) - 1), (ssize_t)sizeof(msg) - 1);
	close_fd(&in_pipe[1]);
	start(in_pipe[0]);
	handshake(false);
	/* Linux drops data for a port the guest has not opened: wait for it. */
	usleep(50000);
	cr_assert_not(get_used(rxq(0), &head, &len), "stdin delivered before the port was opened");
	send_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 1);

	/* The close must come after the data is in the used ring. */
	cr_assert(next_ctrl(&m, NULL, 0, true));
	cr_assert_eq(m.id, 0);
	cr_assert_eq(m.event, VIRTIO_CONSOLE_PORT_OPEN);
	cr_assert_eq(m.value, 0);
	cr_assert(get_used(rxq(0), &head, &len), "PORT_OPEN 0 overtook the data");
	cr_assert_eq(len, sizeof(msg) - 1);
	cr_assert_arr_eq(hva(buf_gpa(rxq(0), head)), msg, sizeof(msg) - 1);
	cr_assert_not(get_used(rxq(0), &head, &len));
}

Test(virtio_console, stdin_waits_for_rx_buffers)
{
	static char data[3000];
	char got[sizeof(data)];
	size_t n = 0;
	uint16_t head;
	uint32_t len;
	struct virtio_console_control m;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	start(in_pipe[0]);
	handshake(true); /* two 1 KiB rx buffers on port 0 */
	cr_assert_eq(write(in_pipe[1], data, sizeof(data)), (ssize_t)sizeof(data));
	while (n < 2 * BUF_SIZE) {
		cr_assert(wait_used(rxq(0), &head, &len));
		memcpy(got + n, hva(buf_gpa(rxq(0), head)), len);
		n += len;
	}
	usleep(50000);
	cr_assert_not(get_used(rxq(0), &head, &len));
	cr_assert_not(next_ctrl(&m, NULL, 0, false));
	close_fd(&in_pipe[1]);
	post(rxq(0), true, NULL, BUF_SIZE);
	post(rxq(0), true, NULL, BUF_SIZE);
	while (n < sizeof(data)) {
		cr_assert(wait_used(rxq(0), &head, &len));
		memcpy(got + n, hva(buf_gpa(rxq(0), head)), len);
		n += len;
	}
	cr_assert_eq(n, sizeof(data));
	cr_assert_arr_eq(got, data, sizeof(data));
	expect_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL);
}

Test(virtio_console, no_stdin_closes_port)
{
	struct virtio_console_control m;

	start(-1);
	handshake(false);
	cr_assert_not(next_ctrl(&m, NULL, 0, false));
	send_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 1);
	expect_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL);
}

Test(virtio_console, malformed_control_messages_ignored)
{
	struct virtio_console_control m;
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	driver_probe();
	/* Before DEVICE_READY, a PORT_READY is out of order. */
	send_ctrl(0, VIRTIO_CONSOLE_PORT_READY, 1);
	/* Too short. */
	post(CTRL_TX, false, "\0\0\0\0", 4);
	cr_assert(wait_used(CTRL_TX, &head, &len));
	send_ctrl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 0);
	cr_assert_not(next_ctrl(&m, NULL, 0, false));

	send_ctrl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	for (uint32_t p = 0; p < HY_CONSOLE_NR_PORTS; p++)
		expect_ctrl(p, VIRTIO_CONSOLE_PORT_ADD, 1, NULL);
	send_ctrl(HY_CONSOLE_NR_PORTS, VIRTIO_CONSOLE_PORT_READY, 1);
	send_ctrl(0xffffffff, VIRTIO_CONSOLE_PORT_READY, 1);
	send_ctrl(1, 99, 1);
	send_ctrl(1, VIRTIO_CONSOLE_RESIZE, 1);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);  /* port not ready yet */
	send_ctrl(1, VIRTIO_CONSOLE_PORT_READY, 0); /* guest-side failure */
	cr_assert_not(next_ctrl(&m, NULL, 0, false));
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);

	/* The device still works. */
	send_ctrl(1, VIRTIO_CONSOLE_PORT_READY, 1);
	expect_ctrl(1, VIRTIO_CONSOLE_PORT_NAME, 0, HY_CONSOLE_NAME_STDOUT);
	expect_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 7);
	cr_assert_not(next_ctrl(&m, NULL, 0, false));
}

Test(virtio_console, malformed_chain_breaks_device)
{
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	handshake(true);
	post_raw(txq(1), QN + 3, false, NULL, 0, true);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	/* Nothing more is processed until the driver resets the device. */
	post(txq(2), false, "x", 1);
	cr_assert_not(get_used(txq(2), &head, &len));
	cr_assert(pipe_empty(err_pipe[0]));

	memset(ram, 0, RAM_SIZE);
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	handshake(true);
	post(txq(2), false, "y", 1);
	cr_assert(wait_used(txq(2), &head, &len));
	cr_assert_not(pipe_empty(err_pipe[0]));
}

/* A control message never reaches the guest cut short: the driver decodes
 * it without checking the used length. */
Test(virtio_console, short_control_buffer_breaks_device)
{
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	driver_probe_ctrl(sizeof(struct virtio_console_control) - 1);
	send_ctrl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	cr_assert_not(get_used(CTRL_RX, &head, &len), "a short control message was delivered");
}

/* A buffer that holds the header but not a port's name is refused as well. */
Test(virtio_console, control_name_needs_room_for_all_of_it)
{
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	driver_probe_ctrl(sizeof(struct virtio_console_control));
	send_ctrl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	/* PORT_ADD is a bare header: it fits (and its buffer comes back a page). */
	for (uint32_t p = 0; p < HY_CONSOLE_NR_PORTS; p++)
		expect_ctrl(p, VIRTIO_CONSOLE_PORT_ADD, 1, NULL);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	post(rxq(0), true, NULL, BUF_SIZE);
	send_ctrl(0, VIRTIO_CONSOLE_PORT_READY, 1);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert_not(get_used(CTRL_RX, &head, &len), "a port name was cut short");
}

Test(virtio_console, closed_stdout_does_not_wedge)
{
	char c;
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	handshake(true);
	close_fd(&out_pipe[0]);
	post(txq(1), false, "lost", 4);
	cr_assert(wait_used(txq(1), &head, &len));
	post(txq(1), false, "lost", 4);
	cr_assert(wait_used(txq(1), &head, &len));
	post(txq(2), false, "e", 1);
	cr_assert(wait_used(txq(2), &head, &len));
	read_exact(err_pipe[0], &c, 1);
	cr_assert_eq(c, 'e');
}

Test(virtio_console, nonblocking_stdout_keeps_data)
{
	static char chunk[4096];
	size_t filled = 0, got = 0;
	char tail[4];
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	handshake(true);
	fcntl(out_pipe[1], F_SETFL, O_NONBLOCK);
	memset(chunk, 'f', sizeof(chunk));
	for (;;) {
		ssize_t n = write(out_pipe[1], chunk, sizeof(chunk));

		if (n < 0)
			break;
		filled += (size_t)n;
	}
	post(txq(1), false, "tail", 4);
	usleep(50000);
	cr_assert_not(get_used(txq(1), &head, &len), "buffer completed with a full pipe");

	/* Drain the pipe; the device finishes once there is room. */
	while (got < filled) {
		ssize_t n = read(out_pipe[0], chunk,
				 sizeof(chunk) < filled - got ? sizeof(chunk) : filled - got);

		cr_assert_gt(n, 0);
		got += (size_t)n;
	}
	cr_assert(wait_used(txq(1), &head, &len));
	read_exact(out_pipe[0], tail, 4);
	cr_assert_arr_eq(tail, "tail", 4);
}

Test(virtio_console, drain_processes_unkicked_output)
{
	char buf[8];

	start(in_pipe[0]);
	handshake(true);
	post_raw(txq(1), g_avail[txq(1)] % QN, false, "out", 3, false);
	post_raw(txq(2), g_avail[txq(2)] % QN, false, "err", 3, false);
	cr_assert(pipe_empty(out_pipe[0]));
	virtio_console_drain(con);
	read_exact(out_pipe[0], buf, 3);
	cr_assert_arr_eq(buf, "out", 3);
	read_exact(err_pipe[0], buf, 3);
	cr_assert_arr_eq(buf, "err", 3);
}

Test(virtio_console, requires_multiport)
{
	start(in_pipe[0]);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FEATURES_OK);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

Test(virtio_console, stdin_resumes_with_event_idx)
{
	static char data[2 * BUF_SIZE];
	uint16_t head;
	uint32_t len;
	size_t n = 0;

	g_event_idx = true;
	memset(data, 's', sizeof(data));
	start(in_pipe[0]);
	handshake(true); /* two rx buffers on port 0 */
	/* Exactly fills both buffers: the ring runs dry without a failed pop. */
	cr_assert_eq(write(in_pipe[1], data, sizeof(data)), (ssize_t)sizeof(data));
	while (n < sizeof(data)) {
		cr_assert(wait_used(rxq(0), &head, &len));
		n += len;
	}
	usleep(20000);
	post(rxq(0), true, NULL, BUF_SIZE);
	cr_assert_eq(write(in_pipe[1], "z", 1), 1);
	cr_assert(wait_used(rxq(0), &head, &len), "no kick reached the device");
	cr_assert_eq(len, 1);
	cr_assert_eq(*(char *)hva(buf_gpa(rxq(0), head)), 'z');
}

static void send_byte(uint8_t b)
{
	cr_assert_eq(virtio_console_send_control(con, &b, 1), 0);
}

Test(virtio_console, control_waits_for_the_open_port)
{
	uint16_t head;
	uint32_t len;
	uint8_t *buf;

	start(in_pipe[0]);
	/* Before the driver is even there: held. */
	send_byte(SIGTERM);
	handshake(false);
	send_byte(SIGUSR1);
	usleep(50000);
	cr_assert_not(get_used(rxq(HY_CONSOLE_PORT_CONTROL), &head, &len),
		      "control message delivered before the port was opened");
	send_ctrl(HY_CONSOLE_PORT_CONTROL, VIRTIO_CONSOLE_PORT_OPEN, 1);
	cr_assert(wait_used(rxq(HY_CONSOLE_PORT_CONTROL), &head, &len));
	cr_assert_eq(len, 2);
	buf = hva(buf_gpa(rxq(HY_CONSOLE_PORT_CONTROL), head));
	cr_assert_eq(buf[0], SIGTERM);
	cr_assert_eq(buf[1], SIGUSR1);
	/* The second rx buffer takes the next one; then there is none left. */
	send_byte(SIGINT);
	cr_assert(wait_used(rxq(HY_CONSOLE_PORT_CONTROL), &head, &len));
	cr_assert_eq(len, 1);
	cr_assert_eq(*(uint8_t *)hva(buf_gpa(rxq(HY_CONSOLE_PORT_CONTROL), head)), SIGINT);
	send_byte(SIGHUP);
	usleep(50000);
	cr_assert_not(get_used(rxq(HY_CONSOLE_PORT_CONTROL), &head, &len));
	post(rxq(HY_CONSOLE_PORT_CONTROL), true, NULL, BUF_SIZE);
	cr_assert(wait_used(rxq(HY_CONSOLE_PORT_CONTROL), &head, &len));
	cr_assert_eq(len, 1);
	cr_assert_eq(*(uint8_t *)hva(buf_gpa(rxq(HY_CONSOLE_PORT_CONTROL), head)), SIGHUP);
}

/* Messages of several bytes arrive whole and in order; one that does not
 * fit is refused entirely, never cut. */
Test(virtio_console, control_messages_whole_or_not_at_all)
{
	uint8_t ws[HY_CTL_WINSIZE_LEN], big[300] = {0}, *buf;
	unsigned accepted = 0;
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	cr_assert_eq(virtio_console_send_control(con, ws, 0), -EINVAL);
	cr_assert_eq(virtio_console_send_control(con, big, sizeof(big)), -EINVAL);
	hy_ctl_encode_winsize(ws, 0x1234, 80);
	/* Nobody has the port open: messages pile up until the buffer is full. */
	for (int i = 0; i < 100; i++) {
		int r = virtio_console_send_control(con, ws, sizeof(ws));

		if (r == -ENOSPC)
			break;
		cr_assert_eq(r, 0);
		accepted++;
	}
	cr_assert_gt(accepted, 10);
	cr_assert_lt(accepted, 100, "the pending buffer has no limit");
	handshake(true);
	for (unsigned got = 0; got < accepted * sizeof(ws);) {
		cr_assert(wait_used(rxq(HY_CONSOLE_PORT_CONTROL), &head, &len),
			  "only %u of %zu bytes arrived", got, accepted * sizeof(ws));
		buf = hva(buf_gpa(rxq(HY_CONSOLE_PORT_CONTROL), head % QN));
		for (uint32_t i = 0; i < len; i++, got++)
			cr_assert_eq(buf[i], ws[got % sizeof(ws)], "byte %u", got);
		post_raw(rxq(HY_CONSOLE_PORT_CONTROL), head, true, NULL, BUF_SIZE, true);
	}
	usleep(20000);
	cr_assert_not(get_used(rxq(HY_CONSOLE_PORT_CONTROL), &head, &len), "extra bytes");
	/* Room again. */
	send_byte(HY_CTL_START);
	cr_assert(wait_used(rxq(HY_CONSOLE_PORT_CONTROL), &head, &len));
	cr_assert_eq(len, 1);
	cr_assert_eq(*(uint8_t *)hva(buf_gpa(rxq(HY_CONSOLE_PORT_CONTROL), head % QN)),
		     HY_CTL_START);
}

/* --- the host side follows the guest's closes ----------------------------------------- */

/* Read fd until end of file, waiting at most timeout_ms for each read; the
 * bytes read, or -1 when no end of file came in time. */
static ssize_t read_to_eof(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t got = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		n = read(fd, buf + got, cap - got);
		if (n == 0)
			return (ssize_t)got;
		cr_assert_gt(n, 0, "read: %s", strerror(errno));
		got += (size_t)n;
		cr_assert_lt(got, cap, "more output than expected");
	}
}

Test(virtio_console, guest_close_of_stdout_ends_the_host_stream)
{
	char buf[64];
	ssize_t n;

	start(in_pipe[0]);
	/* Only the console's copies are left. */
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[1]);
	handshake(true);
	post(txq(1), false, "kicked ", 7);
	/* Queued but not yet kicked when the guest closes: still written. */
	post_raw(txq(1), g_avail[txq(1)] % QN, false, "last", 4, false);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
	n = read_to_eof(out_pipe[0], buf, sizeof(buf), 2000);
	cr_assert_eq(n, 11, "stdout did not end after the guest closed it (%zd)", n);
	cr_assert_arr_eq(buf, "kicked last", 11);
	/* stderr is the workload's still. */
	cr_assert(pipe_empty(err_pipe[0]));
	post(txq(2), false, "err", 3);
	read_exact(err_pipe[0], buf, 3);
	cr_assert_arr_eq(buf, "err", 3);
	send_ctrl(2, VIRTIO_CONSOLE_PORT_OPEN, 0);
	cr_assert_eq(read_to_eof(err_pipe[0], buf, sizeof(buf), 2000), 0);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

Test(virtio_console, close_waits_for_a_slow_reader)
{
	static char chunk[4096];
	static char got[1 << 20];
	size_t filled = 0;
	ssize_t n;
	uint16_t head;
	uint32_t len;

	fcntl(out_pipe[1], F_SETFL, O_NONBLOCK);
	memset(chunk, 'f', sizeof(chunk));
	while ((n = write(out_pipe[1], chunk, sizeof(chunk))) > 0)
		filled += (size_t)n;
	start(in_pipe[0]);
	close_fd(&out_pipe[1]);
	handshake(true);
	post(txq(1), false, "tail", 4);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
	usleep(20000);
	cr_assert_not(get_used(txq(1), &head, &len), "the buffer was dropped, not written");
	n = read_to_eof(out_pipe[0], got, sizeof(got), 2000);
	cr_assert_eq(n, (ssize_t)filled + 4, "read %zd of %zu bytes before end of file", n,
		     filled + 4);
	cr_assert_arr_eq(got + filled, "tail", 4);
	cr_assert(wait_used(txq(1), &head, &len));
}

static void *reader_main(void *arg)
{
	static char got[1 << 20];

	return (void *)(intptr_t)read_to_eof(*(int *)arg, got, sizeof(got), 5000);
}

/* At the VM's end, drain() waits for the reader, then lets go. */
Test(virtio_console, drain_finishes_a_closing_port)
{
	static char chunk[4096];
	size_t filled = 0;
	pthread_t reader;
	void *ret;
	ssize_t n;

	fcntl(err_pipe[1], F_SETFL, O_NONBLOCK);
	memset(chunk, 'e', sizeof(chunk));
	while ((n = write(err_pipe[1], chunk, sizeof(chunk))) > 0)
		filled += (size_t)n;
	start(in_pipe[0]);
	close_fd(&err_pipe[1]);
	handshake(true);
	post(txq(2), false, "end", 3);
	send_ctrl(2, VIRTIO_CONSOLE_PORT_OPEN, 0);
	cr_assert_eq(pthread_create(&reader, NULL, reader_main, &err_pipe[0]), 0);
	virtio_console_drain(con);
	cr_assert_eq(pthread_join(reader, &ret), 0);
	cr_assert_eq((intptr_t)ret, (intptr_t)filled + 3);
}

/* A port the guest opens again after closing it has the host side closed:
 * output is taken (the guest never blocks) and goes nowhere. */
Test(virtio_console, reopened_output_port_is_dropped)
{
	char buf[8];
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	close_fd(&out_pipe[1]);
	handshake(true);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
	cr_assert_eq(read_to_eof(out_pipe[0], buf, sizeof(buf), 2000), 0);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
	for (int i = 0; i < 4; i++) {
		post(txq(1), false, "lost", 4);
		cr_assert(wait_used(txq(1), &head, &len), "output after the close wedged");
	}
	virtio_console_drain(con);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* The guest's close of stdin: the host's reader goes (a writer gets EPIPE, as
 * with a workload that held the only copy), and a reopened port reads EOF. */
Test(virtio_console, guest_close_of_stdin_ends_the_host_reader)
{
	struct virtio_console_control m;

	start(in_pipe[0]);
	close_fd(&in_pipe[0]);
	handshake(true);
	cr_assert_eq(write(in_pipe[1], "x", 1), 1);
	send_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 0);
	cr_assert_eq(write(in_pipe[1], "y", 1), -1, "the console still reads stdin");
	cr_assert_eq(errno, EPIPE);
	cr_assert_not(next_ctrl(&m, NULL, 0, false));
	send_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 1);
	expect_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL);
}

/* virtio_console_close_output(): the host lets go of a stream by itself (the
 * stderr port of a terminal workload once it is prepared). */
Test(virtio_console, close_output_lets_go)
{
	char buf[16];
	uint16_t head;
	uint32_t len;

	start(in_pipe[0]);
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[1]);
	handshake(true);
	post_raw(txq(2), g_avail[txq(2)] % QN, false, "queued", 6, false);
	/* Not output ports: nothing happens. */
	virtio_console_close_output(con, HY_CONSOLE_PORT_STDIN);
	virtio_console_close_output(con, HY_CONSOLE_PORT_CONTROL);
	virtio_console_close_output(con, 99);
	virtio_console_close_output(con, HY_CONSOLE_PORT_STDERR);
	cr_assert_eq(read_to_eof(err_pipe[0], buf, sizeof(buf), 2000), 6);
	cr_assert_arr_eq(buf, "queued", 6);
	post(txq(2), false, "later", 5);
	cr_assert(wait_used(txq(2), &head, &len));
	virtio_console_close_output(con, HY_CONSOLE_PORT_STDERR);
	/* stdout and stdin go on. */
	post(txq(1), false, "out", 3);
	read_exact(out_pipe[0], buf, 3);
	cr_assert_arr_eq(buf, "out", 3);
	cr_assert_eq(write(in_pipe[1], "in", 2), 2);
	cr_assert(wait_used(rxq(0), &head, &len));
}

/* Closes that Linux never sends change nothing and break nothing. */
Test(virtio_console, stray_closes_are_harmless)
{
	char buf[4];
	struct virtio_console_control m;

	start(in_pipe[0]);
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[1]);
	handshake(false);
	/* Ports the guest never opened. */
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
	send_ctrl(2, VIRTIO_CONSOLE_PORT_OPEN, 0);
	send_ctrl(HY_CONSOLE_PORT_CONTROL, VIRTIO_CONSOLE_PORT_OPEN, 0);
	send_ctrl(HY_CONSOLE_NR_PORTS, VIRTIO_CONSOLE_PORT_OPEN, 0);
	send_ctrl(0xffffffff, VIRTIO_CONSOLE_PORT_OPEN, 0);
	cr_assert(pipe_empty(out_pipe[0]), "stdout was closed by a close of a closed port");
	cr_assert(pipe_empty(err_pipe[0]));
	cr_assert_not(next_ctrl(&m, NULL, 0, false));
	/* Twice, and the control port's own close. */
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
	send_ctrl(HY_CONSOLE_PORT_CONTROL, VIRTIO_CONSOLE_PORT_OPEN, 1);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
	send_ctrl(HY_CONSOLE_PORT_CONTROL, VIRTIO_CONSOLE_PORT_OPEN, 0);
	cr_assert_eq(read_to_eof(out_pipe[0], buf, sizeof(buf), 2000), 0);
	cr_assert(pipe_empty(err_pipe[0]));
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* A device reset with a close pending: what was held went with the reset, so
 * the stream ends at once. */
Test(virtio_console, reset_finishes_a_closing_port)
{
	static char chunk[4096];
	char buf[8];

	fcntl(out_pipe[1], F_SETFL, O_NONBLOCK);
	memset(chunk, 'r', sizeof(chunk));
	while (write(out_pipe[1], chunk, sizeof(chunk)) > 0)
		;
	start(in_pipe[0]);
	close_fd(&out_pipe[1]);
	handshake(true);
	post(txq(1), false, "held", 4);
	send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
	wr(VIRTIO_MMIO_STATUS, 0);
	/* The pipe's old data, then its end. */
	for (;;) {
		struct pollfd p = {.fd = out_pipe[0], .events = POLLIN};
		ssize_t n;

		cr_assert_eq(poll(&p, 1, 2000), 1, "no end of file after the reset");
		n = read(out_pipe[0], buf, sizeof(buf));
		cr_assert_geq(n, 0);
		if (n == 0)
			break;
		cr_assert_arr_eq(buf, "rrrrrrrr", (size_t)n, "the dropped buffer was written");
	}
}

static unsigned log_lines; /* atomic: the event loop thread logs */

static void count_log_lines(enum log_level level, const char *prog, const char *msg)
{
	__atomic_fetch_add(&log_lines, 1, __ATOMIC_RELAXED);
}

/* Control messages the device ignores, as many as the guest likes: a line a second at
 * most on the VMM's stderr (a log on the host's disk), the first one still there. */
Test(virtio_console, ignored_control_messages_are_rate_limited)
{
	start(in_pipe[0]);
	driver_probe();
	log_lines = 0;
	log_set_writer(count_log_lines);
	for (int i = 0; i < 200; i++) {
		send_ctrl(1, 99, 1);
		send_ctrl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 0);
	}
	log_set_writer(NULL);
	cr_assert_geq(log_lines, 1);
	cr_assert_lt(log_lines, 10, "%u lines for 400 ignored control messages", log_lines);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}
