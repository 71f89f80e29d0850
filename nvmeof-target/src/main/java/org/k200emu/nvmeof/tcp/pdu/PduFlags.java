package org.k200emu.nvmeof.tcp.pdu;

/**
 * Bits of the common header's FLAGS byte (byte 1). Which bits are defined depends on the PDU
 * type; the remaining bits are reserved and sent as zero.
 */
public final class PduFlags {

    /** HDGSTF: a 4-byte header digest follows the HLEN header bytes. */
    public static final int HDGSTF = 0x01;
    /** DDGSTF: a 4-byte data digest follows the PDU data. */
    public static final int DDGSTF = 0x02;
    /** LAST_PDU on C2HData and H2CData: the last data PDU of the transfer (or of the R2T). */
    public static final int LAST_PDU = 0x04;
    /** SUCCESS on C2HData (requires LAST_PDU): the command completed, no response capsule follows. */
    public static final int SUCCESS = 0x08;

    /** Length of each digest on the wire. */
    public static final int DIGEST_LENGTH = 4;

    private PduFlags() {
    }
}
