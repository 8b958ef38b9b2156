import struct, sys
code = open(sys.argv[1], 'rb').read()
setup = bytearray(1024)
setup[0x1f1] = 1                                  # setup_sects
pm = bytearray(0x200) + code                      # 64-bit entry at +0x200
pm += bytes((-len(pm)) % 16)
struct.pack_into('<I', setup, 0x1f4, len(pm) // 16)  # syssize
struct.pack_into('<H', setup, 0x1fe, 0xaa55)
setup[0x200] = 0xeb; setup[0x201] = 0x66
setup[0x202:0x206] = b'HdrS'
struct.pack_into('<H', setup, 0x206, 0x020f)
struct.pack_into('<I', setup, 0x22c, 0x7fffffff)  # initrd_addr_max
struct.pack_into('<I', setup, 0x230, 0x200000)    # kernel_alignment
setup[0x234] = 1
struct.pack_into('<H', setup, 0x236, 1)           # XLF_KERNEL_64
struct.pack_into('<I', setup, 0x238, 2047)        # cmdline_size
struct.pack_into('<Q', setup, 0x258, 0x100000)    # pref_address
struct.pack_into('<I', setup, 0x260, 0x100000)    # init_size
open(sys.argv[2], 'wb').write(bytes(setup) + bytes(pm))
