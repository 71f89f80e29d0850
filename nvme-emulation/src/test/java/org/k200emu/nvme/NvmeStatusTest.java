package org.k200emu.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The CQE Status Field (NVMe Base 1.4, figure 125): SC in bits 7:0, SCT in bits 10:8, DNR in
 * bit 14; on the wire it sits in DW3 bits 31:17, above the phase tag.
 */
class NvmeStatusTest {

    @Test
    void successIsAllZero() {
        assertThat(NvmeStatus.toCqeStatusField(NvmeStatus.SUCCESS)).isZero();
    }

    @Test
    void genericStatusWithDnr() {
        int field = NvmeStatus.toCqeStatusField(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        assertThat(field).isEqualTo(0x4002);
        int dw3 = field << 17 | 1 << 16; // phase tag set
        assertThat((dw3 >>> 17) & 0xFF).as("SC").isEqualTo(0x02);
        assertThat((dw3 >>> 25) & 0x7).as("SCT").isZero();
        assertThat(dw3 >>> 31).as("DNR").isEqualTo(1);
        assertThat((dw3 >>> 29) & 0x3).as("More / CRD").isZero();
    }

    @Test
    void commandSpecificAndMediaStatus() {
        assertThat(NvmeStatus.toCqeStatusField(NvmeStatus.withDnr(NvmeStatus.AER_LIMIT_EXCEEDED))).isEqualTo(0x4105);
        assertThat(NvmeStatus.toCqeStatusField(NvmeStatus.withDnr(NvmeStatus.INVALID_LOG_PAGE))).isEqualTo(0x4109);
        int compare = NvmeStatus.toCqeStatusField(NvmeStatus.withDnr(NvmeStatus.COMPARE_FAILURE));
        assertThat(compare & 0xFF).isEqualTo(0x85);
        assertThat((compare >>> 8) & 0x7).isEqualTo(2);
        assertThat(compare >>> 14).isEqualTo(1);
    }

    @Test
    void withoutDnrTheBitStaysClear() {
        assertThat(NvmeStatus.toCqeStatusField(NvmeStatus.LBA_OUT_OF_RANGE)).isEqualTo(0x080);
        assertThat(NvmeStatus.toCqeStatusField(NvmeStatus.ABORTED_SQ_DELETION)).isEqualTo(0x008);
        assertThat(NvmeStatus.toCqeStatusField(NvmeStatus.UNRECOVERED_READ_ERROR)).isEqualTo(0x281);
    }

    @Test
    void spec14CodeValues() {
        assertThat(NvmeStatus.CMD_SEQ_ERROR).isEqualTo(0x00C);
        assertThat(NvmeStatus.INVALID_NAMESPACE).isEqualTo(0x00B);
        assertThat(NvmeStatus.DATA_SGL_LENGTH_INVALID).isEqualTo(0x00F);
        assertThat(NvmeStatus.FEATURE_NOT_SAVEABLE).isEqualTo(0x10D);
        assertThat(NvmeStatus.CONNECT_INVALID_PARAMETERS).isEqualTo(0x182);
    }

    @Test
    void accessorsAndName() {
        int s = NvmeStatus.withDnr(NvmeStatus.COMPARE_FAILURE);
        assertThat(NvmeStatus.sct(s)).isEqualTo(2);
        assertThat(NvmeStatus.sc(s)).isEqualTo(0x85);
        assertThat(NvmeStatus.name(s)).isEqualTo("SCT2/SC0x85|DNR");
        assertThat(NvmeStatus.name(NvmeStatus.INVALID_OPCODE)).isEqualTo("SCT0/SC0x01");
    }
}
