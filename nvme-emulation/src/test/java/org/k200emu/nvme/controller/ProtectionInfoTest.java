package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/** PRINFO checks, insertion and stripping against the test's own T10 model. */
class ProtectionInfoTest {

    private static final int BS = 512;
    private static final int GUARD = ProtectionInfo.PRCHK_GUARD;
    private static final int APP = ProtectionInfo.PRCHK_APP;
    private static final int REF = ProtectionInfo.PRCHK_REF;

    private static int check(byte[] ext, int type, int prchk, int ilbrt, int lbat, int lbatm) {
        ByteBuf buf = Unpooled.directBuffer(ext.length + 3).writeZero(3).writeBytes(ext);
        try {
            return ProtectionInfo.check(buf, 3, ext.length / (BS + 8), BS, type, prchk, ilbrt, lbatm << 16 | lbat);
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void insertMatchesTheModelAndStripGivesTheDataBack(int type) {
        byte[] data = Bytes.random(type, 4 * BS);
        ByteBuf src = Unpooled.directBuffer().writeBytes(data);
        ByteBuf ext = Unpooled.directBuffer();
        ByteBuf back = Unpooled.directBuffer();
        try {
            ProtectionInfo.insert(src, 0, ext, 4, BS, type, 0x7000_0000, 0xFFFF_0ABC);
            byte[] expected = T10Model.extend(data, BS, 0x0ABC, 0x7000_0000L, type != 3);
            assertThat(io.netty.buffer.ByteBufUtil.getBytes(ext)).isEqualTo(expected);
            ProtectionInfo.strip(ext, 0, back, 4, BS);
            assertThat(io.netty.buffer.ByteBufUtil.getBytes(back)).isEqualTo(data);
            assertThat(ProtectionInfo.sameData(ext, 0, src, 0, 4, BS)).isTrue();
        } finally {
            src.release();
            ext.release();
            back.release();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void eachPrchkBitChecksItsFieldOnly(int type) {
        byte[] data = Bytes.random(10 + type, 3 * BS);
        boolean inc = type != 3;
        byte[] good = T10Model.extend(data, BS, 0x1234, 500, inc);
        for (int prchk : new int[] {0, GUARD, APP, REF, GUARD | APP | REF}) {
            assertThat(check(good, type, prchk, 500, 0x1234, 0xFFFF)).as("prchk %x", prchk)
                    .isEqualTo(NvmeStatus.SUCCESS);
        }
        // A bad guard in the last block: only the guard check sees it.
        byte[] badGuard = good.clone();
        badGuard[2 * (BS + 8) + 7] ^= 0x40; // flip a data bit, the guard stays
        assertThat(check(badGuard, type, GUARD, 500, 0x1234, 0xFFFF))
                .isEqualTo(NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR));
        assertThat(check(badGuard, type, APP | REF, 500, 0x1234, 0xFFFF)).isEqualTo(NvmeStatus.SUCCESS);
        // The application tag, under the mask.
        assertThat(check(good, type, APP, 500, 0x12FF, 0xFF00)).isEqualTo(NvmeStatus.SUCCESS);
        assertThat(check(good, type, APP, 500, 0x1334, 0xFF00))
                .isEqualTo(NvmeStatus.withDnr(NvmeStatus.APP_TAG_CHECK_ERROR));
        assertThat(check(good, type, APP, 500, 0x0000, 0x0000)).as("LBATM 0 compares nothing")
                .isEqualTo(NvmeStatus.SUCCESS);
        assertThat(check(good, type, GUARD | REF, 500, 0x1334, 0xFFFF)).isEqualTo(NvmeStatus.SUCCESS);
        // The reference tag: ILBRT + i for types 1 and 2, ILBRT for type 3.
        assertThat(check(good, type, REF, 501, 0, 0)).isEqualTo(NvmeStatus.withDnr(NvmeStatus.REF_TAG_CHECK_ERROR));
        assertThat(check(good, type, GUARD | APP, 501, 0x1234, 0xFFFF)).isEqualTo(NvmeStatus.SUCCESS);
        byte[] swapped = T10Model.extend(data, BS, 0x1234, 500, !inc);
        assertThat(check(swapped, type, REF, 500, 0, 0)).as("the other increment rule")
                .isEqualTo(NvmeStatus.withDnr(NvmeStatus.REF_TAG_CHECK_ERROR));
    }

    @Test
    void guardIsReportedBeforeApplicationAndReferenceTags() {
        byte[] data = Bytes.random(20, BS);
        byte[] ext = T10Model.extend(data, BS, 0x1111, 9, true);
        T10Model.setPi(ext, BS, 0, 0xBEEF, 0x2222, 10);
        assertThat(check(ext, 1, GUARD | APP | REF, 9, 0x1111, 0xFFFF))
                .isEqualTo(NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR));
        assertThat(check(ext, 1, APP | REF, 9, 0x1111, 0xFFFF))
                .isEqualTo(NvmeStatus.withDnr(NvmeStatus.APP_TAG_CHECK_ERROR));
    }

    @Test
    void escapeValuesTurnCheckingOff() {
        byte[] data = Bytes.random(21, 2 * BS);
        byte[] ext = T10Model.extend(data, BS, 0, 0, true);
        T10Model.setPi(ext, BS, 0, 0xBAD0, 0xFFFF, 0x1234_5678);
        T10Model.setPi(ext, BS, 1, 0xBAD1, 0xFFFF, -1);
        int all = GUARD | APP | REF;
        // Types 1 and 2: an application tag of FFFFh is enough.
        assertThat(check(ext, 1, all, 0, 0, 0xFFFF)).isEqualTo(NvmeStatus.SUCCESS);
        assertThat(check(ext, 2, all, 0, 0, 0xFFFF)).isEqualTo(NvmeStatus.SUCCESS);
        // Type 3 also needs a reference tag of FFFFFFFFh: block 0 is checked (and fails), block 1 is not.
        assertThat(check(ext, 3, all, 0, 0, 0xFFFF)).isEqualTo(NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR));
        byte[] second = java.util.Arrays.copyOfRange(ext, BS + 8, 2 * (BS + 8));
        assertThat(check(second, 3, all, 0, 0, 0xFFFF)).isEqualTo(NvmeStatus.SUCCESS);
        // All-FF metadata (never written) passes every type.
        byte[] unwritten = T10Model.extend(new byte[BS], BS, 0, 0, true);
        T10Model.setPi(unwritten, BS, 0, 0xFFFF, 0xFFFF, -1);
        for (int type = 1; type <= 3; type++) {
            assertThat(check(unwritten, type, all, 77, 0x1234, 0xFFFF)).isEqualTo(NvmeStatus.SUCCESS);
        }
    }

    @Test
    void typeOneNeedsIlbrtToBeTheStartingLba() {
        assertThat(ProtectionInfo.validate(1, REF, 0x1_0000_0005L, 5)).isEqualTo(NvmeStatus.SUCCESS);
        assertThat(ProtectionInfo.validate(1, REF, 6, 5))
                .isEqualTo(NvmeStatus.withDnr(NvmeStatus.INVALID_PROTECTION_INFO));
        assertThat(ProtectionInfo.validate(1, GUARD, 6, 5)).as("only when the reference tag is checked")
                .isEqualTo(NvmeStatus.SUCCESS);
        assertThat(ProtectionInfo.validate(2, REF, 6, 5)).isEqualTo(NvmeStatus.SUCCESS);
        assertThat(ProtectionInfo.validate(3, REF, 6, 5)).isEqualTo(NvmeStatus.SUCCESS);
    }
}
