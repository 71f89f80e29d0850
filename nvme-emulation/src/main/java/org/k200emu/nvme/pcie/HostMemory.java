package org.k200emu.nvme.pcie;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The x86 host's physical memory as the card sees it over PCIe: one region of {@link #size()}
 * bytes at 64-bit physical addresses {@code [base, base + size)}, little-endian, in
 * {@value #PAGE_SIZE}-byte pages (CC.MPS = 0). Owned by whoever models the host (a test, a VM
 * bridge); the {@link PcieController} only reads and writes it by DMA.
 *
 * <p>Two sides: the host side ({@link #write}, {@link #read}, {@link #putLong} ...) is what the
 * host driver uses and throws {@link IndexOutOfBoundsException} on a bad address, because that
 * is a bug in the host model; the device side ({@link #dmaRead}, {@link #dmaWrite}) never
 * throws: an access outside the region is a failed DMA (a PCIe master abort) that the
 * controller turns into an NVMe status. All accesses use absolute indexes, so host and device
 * threads may use the region at once; the completion entry's phase dword is written with release
 * semantics and read with acquire semantics so that a polling host sees a whole entry.
 */
public final class HostMemory implements AutoCloseable {

    /** The memory page size, 4 KiB (CAP.MPSMIN = CAP.MPSMAX = 0). */
    public static final int PAGE_SIZE = 4096;
    static final long PAGE_MASK = PAGE_SIZE - 1;

    private static final VarHandle INT_LE = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final long base;
    private final int size;
    private final ByteBuffer memory;
    private final ByteBuf view;

    /**
     * A region of {@code size} bytes (a multiple of the page size) starting at physical address
     * {@code base} (page aligned).
     */
    public HostMemory(long base, int size) {
        if ((base & PAGE_MASK) != 0 || base < 0) {
            throw new IllegalArgumentException("host memory base must be a page-aligned address: 0x" + Long.toHexString(base));
        }
        if (size <= 0 || (size & PAGE_MASK) != 0) {
            throw new IllegalArgumentException("host memory size must be a positive multiple of 4 KiB: " + size);
        }
        if (base + size < 0) {
            throw new IllegalArgumentException("host memory ends beyond 2^63");
        }
        this.base = base;
        this.size = size;
        this.memory = ByteBuffer.allocateDirect(size);
        // Wrapping does not track or free the memory: the direct buffer is reclaimed with this object.
        this.view = Unpooled.wrappedBuffer(memory);
    }

    /** Lowest physical address of the region. */
    public long base() {
        return base;
    }

    /** Bytes in the region. */
    public int size() {
        return size;
    }

    /** Whether {@code [address, address + length)} lies wholly in the region (unsigned arithmetic). */
    public boolean contains(long address, long length) {
        if (length < 0) {
            return false;
        }
        long offset = address - base;
        // Unsigned: an address below base wraps to a huge offset.
        return Long.compareUnsigned(offset, size) <= 0 && length <= size - offset;
    }

    private int index(long address, long length) {
        if (!contains(address, length)) {
            throw new IndexOutOfBoundsException("0x" + Long.toHexString(address) + "+" + length
                    + " is outside host memory [0x" + Long.toHexString(base) + ", 0x" + Long.toHexString(base + size) + ")");
        }
        return (int) (address - base);
    }

    // ---- Host side -----------------------------------------------------------------------

    /** Copies {@code bytes} to {@code address}. */
    public void write(long address, byte[] bytes) {
        view.setBytes(index(address, bytes.length), bytes);
    }

    /** Copies {@code length} bytes from {@code address}. */
    public byte[] read(long address, int length) {
        byte[] bytes = new byte[length];
        view.getBytes(index(address, length), bytes);
        return bytes;
    }

    /** Zeroes {@code length} bytes at {@code address}. */
    public void zero(long address, int length) {
        view.setZero(index(address, length), length);
    }

    public long getLong(long address) {
        return view.getLongLE(index(address, 8));
    }

    public void putLong(long address, long value) {
        view.setLongLE(index(address, 8), value);
    }

    public int getInt(long address) {
        return view.getIntLE(index(address, 4));
    }

    public void putInt(long address, int value) {
        view.setIntLE(index(address, 4), value);
    }

    /** Reads a dword with acquire semantics: a host polling a completion's phase tag uses this. */
    public int getIntAcquire(long address) {
        return (int) INT_LE.getAcquire(memory, index(address, 4));
    }

    // ---- Device side (DMA) -----------------------------------------------------------------

    /**
     * DMA from the host: appends {@code length} bytes at {@code address} to {@code dst}. Returns
     * false, copying nothing, if the range is not host memory.
     */
    public boolean dmaRead(long address, ByteBuf dst, int length) {
        if (!contains(address, length)) {
            return false;
        }
        view.getBytes((int) (address - base), dst, length);
        return true;
    }

    /**
     * DMA to the host: copies {@code length} bytes of {@code src} from {@code srcIndex} to
     * {@code address}, leaving {@code src}'s indexes alone. Returns false, copying nothing, if the
     * range is not host memory.
     */
    public boolean dmaWrite(long address, ByteBuf src, int srcIndex, int length) {
        if (!contains(address, length)) {
            return false;
        }
        view.setBytes((int) (address - base), src, srcIndex, length);
        return true;
    }

    /** A qword the device reads (PRP list entry, SGL descriptor); the caller checked the range. */
    long dmaLong(long address) {
        return view.getLongLE((int) (address - base));
    }

    /** A dword the device writes (completion entry); the caller checked the range. */
    void dmaPutInt(long address, int value) {
        view.setIntLE((int) (address - base), value);
    }

    /** The last dword of a completion entry: published after the rest of the entry. */
    void dmaPutIntRelease(long address, int value) {
        INT_LE.setRelease(memory, (int) (address - base), value);
    }

    /** Drops the wrapper; the memory itself goes with this object. */
    @Override
    public void close() {
        if (view.refCnt() > 0) {
            view.release();
        }
    }

    @Override
    public String toString() {
        return "HostMemory[0x" + Long.toHexString(base) + ", " + (size >> 10) + " KiB]";
    }
}
