package org.k200emu.nvmeof.tcp.pdu;

import io.netty.buffer.ByteBuf;

/**
 * What {@link PduDecoder} emits for an H2CData or C2HData PDU whose data it wrote straight into
 * the buffer its {@link PduDecoder.DataPlacement} named: the PDU's header, and how its data digest
 * compared. One instance per decoder, refilled for each such PDU: valid only inside the
 * {@code channelRead} that receives it, and not reference-counted (the decoder releases the
 * header when the call returns).
 */
public final class PlacedData {

    private ByteBuf header;
    private boolean digestFailed;
    private int received;
    private int computed;

    PlacedData() {
    }

    PlacedData set(ByteBuf header, boolean digestFailed, int received, int computed) {
        this.header = header;
        this.digestFailed = digestFailed;
        this.received = received;
        this.computed = computed;
        return this;
    }

    /**
     * The PDU header (and header digest), readerIndex at its first byte; its fields (PLEN, DATAO,
     * DATAL...) are as sent, but the data is not in this buffer.
     */
    public ByteBuf header() {
        return header;
    }

    /** True when the PDU carried a data digest that does not match the data written. */
    public boolean digestFailed() {
        return digestFailed;
    }

    /** The data digest the peer sent (0 without data digests). */
    public int receivedDigest() {
        return received;
    }

    /** The digest of the data as written (0 without data digests). */
    public int computedDigest() {
        return computed;
    }

    @Override
    public String toString() {
        return "PlacedData(" + PduType.name(Pdu.type(header)) + ", " + Pdu.dataLength(header) + " bytes"
                + (digestFailed ? ", data digest failed)" : ")");
    }
}
