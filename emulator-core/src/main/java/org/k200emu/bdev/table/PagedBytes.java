package org.k200emu.bdev.table;

import java.util.Arrays;

/**
 * A byte array too long for one Java array: a service's in-memory metadata (a
 * {@link MemberTable}, dedup's fingerprints), held in 1 MiB pages so that it may pass 2 GiB and
 * is never allocated as one huge block. Byte {@code at} is {@code page(at)[offset(at)]}; a run
 * of bytes that starts at a multiple of its length (a power of two up to 1 MiB: an entry, a table
 * block) never crosses a page. Not thread-safe by itself: its owner orders the accesses.
 */
public final class PagedBytes {

    private static final int PAGE_SHIFT = 20;
    /** Bytes in a full page. */
    public static final int PAGE_BYTES = 1 << PAGE_SHIFT;
    private static final int PAGE_MASK = PAGE_BYTES - 1;
    private static final byte[] ZEROES = new byte[4096];

    private final byte[][] pages;
    private final long length;

    /** {@code length} zero bytes. */
    public PagedBytes(long length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        this.length = length;
        int count = (int) ((length + PAGE_BYTES - 1) >>> PAGE_SHIFT);
        this.pages = new byte[count][];
        for (int p = 0; p < count; p++) {
            pages[p] = new byte[(int) Math.min(PAGE_BYTES, length - ((long) p << PAGE_SHIFT))];
        }
    }

    public long length() {
        return length;
    }

    /** The page that holds byte {@code at}. */
    public byte[] page(long at) {
        return pages[(int) (at >>> PAGE_SHIFT)];
    }

    /** Where byte {@code at} is in its {@linkplain #page page}. */
    public static int offset(long at) {
        return (int) (at & PAGE_MASK);
    }

    /** Copies {@code len} bytes from {@code at}, which must not cross a page, to {@code dst}. */
    public void get(long at, byte[] dst, int dstOffset, int len) {
        System.arraycopy(page(at), offset(at), dst, dstOffset, len);
    }

    /** Copies {@code len} bytes of {@code src} to {@code at}, which must not cross a page. */
    public void set(long at, byte[] src, int srcOffset, int len) {
        System.arraycopy(src, srcOffset, page(at), offset(at), len);
    }

    /** True if every byte is zero. */
    public boolean allZero() {
        for (byte[] page : pages) {
            for (int off = 0; off < page.length; off += ZEROES.length) {
                int len = Math.min(ZEROES.length, page.length - off);
                if (!Arrays.equals(page, off, off + len, ZEROES, 0, len)) {
                    return false;
                }
            }
        }
        return true;
    }
}
