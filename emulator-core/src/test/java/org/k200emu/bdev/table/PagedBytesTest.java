package org.k200emu.bdev.table;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PagedBytesTest {

    @Test
    void bytesPastTheFirstPageLandInTheNextAndTheLastPageIsShort() {
        PagedBytes b = new PagedBytes(PagedBytes.PAGE_BYTES + 96L);
        assertThat(b.length()).isEqualTo(PagedBytes.PAGE_BYTES + 96L);
        assertThat(b.page(0)).hasSize(PagedBytes.PAGE_BYTES);
        assertThat(b.page(PagedBytes.PAGE_BYTES)).hasSize(96);
        assertThat(b.allZero()).isTrue();

        byte[] entry = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
            26, 27, 28, 29, 30, 31, 32};
        long last = PagedBytes.PAGE_BYTES - 32L;
        b.set(last, entry, 0, 32);
        b.set(PagedBytes.PAGE_BYTES + 64L, entry, 0, 32);
        assertThat(b.allZero()).isFalse();
        assertThat(PagedBytes.offset(PagedBytes.PAGE_BYTES + 64L)).isEqualTo(64);
        byte[] out = new byte[40];
        b.get(PagedBytes.PAGE_BYTES + 64L, out, 8, 32);
        assertThat(out).startsWith(0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3).endsWith(31, 32);
        assertThat(b.page(last)[b.page(last).length - 1]).isEqualTo((byte) 32);
        assertThat(b.page(PagedBytes.PAGE_BYTES)[63]).as("nothing before the entry").isZero();
    }

    @Test
    void anEmptyOneHasNoPages() {
        PagedBytes b = new PagedBytes(0);
        assertThat(b.length()).isZero();
        assertThat(b.allZero()).isTrue();
    }
}
