package org.k200emu.nvmeof.tcp.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * What {@link PduDecoder} emits instead of the bare frame when a PDU's data digest does not match
 * its data: the frame (header intact, header digest verified) plus both digests. Allocated only
 * on this error path; the consumer releases it like any frame.
 *
 * <p>The specification treats a data digest error as non-fatal: the controller completes the
 * command with status Transient Transport Error (generic SC 0x22) and the connection lives on.
 * (Linux nvmet instead tears the queue down; the Linux host since 5.11 completes the request with
 * a data transfer error and carries on.) The decoder does not choose: the connection logic does,
 * with the CCCID at hand.
 */
public final class PduDataDigestError extends DefaultByteBufHolder {

    private final int received;
    private final int computed;

    /** Wraps {@code frame} (ownership moves to this holder). */
    public PduDataDigestError(ByteBuf frame, int received, int computed) {
        super(frame);
        this.received = received;
        this.computed = computed;
    }

    /** The PDU, readerIndex at its first byte, exactly as {@link PduDecoder} frames it. */
    public ByteBuf frame() {
        return content();
    }

    /** The digest the peer sent. */
    public int received() {
        return received;
    }

    /** The digest of the data as received. */
    public int computed() {
        return computed;
    }

    @Override
    public PduDataDigestError replace(ByteBuf content) {
        return new PduDataDigestError(content, received, computed);
    }

    @Override
    public String toString() {
        return String.format("PduDataDigestError(%s, received=0x%08x, computed=0x%08x)",
                PduType.name(Pdu.type(content())), received, computed);
    }
}
