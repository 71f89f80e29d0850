package org.k200emu.nvmeof.tcp.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Frames an NVMe/TCP byte stream into PDUs and validates them before anyone looks inside. One
 * instance per connection (not sharable), owned by the connection's pipeline.
 *
 * <p>Output: for each PDU, one ByteBuf with readerIndex at the PDU's first byte and exactly PLEN
 * bytes readable; the consumer releases it. A PDU that lies whole in one socket read is a
 * retained slice of that read (zero copy). Only a PDU split across reads is copied, into a
 * buffer of its own size: the bytes of the read before it and after it are sliced, not copied.
 * (Netty's {@code ByteToMessageDecoder} copies the whole next read onto any leftover, so at 4 KiB
 * I/O nearly every received byte was copied once in user space.) When the PDU's data digest is
 * wrong the decoder emits a {@link PduDataDigestError} holding that frame instead (the only
 * allocation, on an error path); see that class for why this is not fatal here.
 *
 * <p>State machine: {@code COMMON_HEADER} waits for the 8-byte common header and checks type,
 * sequence, HLEN, FLAGS, PDO and PLEN right there, so a hostile PLEN is refused before anything
 * is buffered; {@code REST_OF_PDU} waits for PLEN bytes, verifies the digests and emits;
 * {@code FAILED} discards everything after a fatal error. A fatal error is thrown once as a
 * {@link PduFormatException} carrying the FES/FEI for the TermReq the connection must send.
 *
 * <p>Reads straight into placements: the connection's {@link DirectDataReads} asks the decoder,
 * before each socket read, where the read should go. While the data of a data PDU of
 * {@value #LARGE_DATA} bytes or more is being placed, the answer is {@link #readWindow()}, a view
 * of the rest of the placement, so the kernel writes the data where it belongs and the decoder
 * only counts it (a smaller PDU's rest is copied from the next ordinary read, which also brings
 * the PDUs after it: one system call fewer). After such a large PDU, {@link #readLimit()} keeps
 * the next read to the next PDU's header, so that the next large PDU's data is placed from its
 * first byte instead of arriving in a read buffer and being copied from there; a smaller data
 * PDU ends that mode.
 *
 * <p>Digests: the connection calls {@link #enableDigests} when it handles the ICReq (target) or
 * ICResp (host). That is in time for the next PDU even when it sits in the same read, because
 * each frame is handed down the pipeline before the next one's header is looked at.
 */
public final class PduDecoder extends ChannelInboundHandlerAdapter {

    /** Which side of the connection this decoder runs on, hence which PDUs it may receive. */
    public enum Role {
        /** The controller: decodes ICReq, H2CTermReq, CapsuleCmd and H2CData. */
        TARGET,
        /** The host: decodes ICResp, C2HTermReq, CapsuleResp, C2HData and R2T. */
        HOST
    }

    /**
     * Where the data of an H2CData or C2HData PDU goes, named by the connection once the PDU's
     * header has arrived. The decoder asks only for a PDU that the current socket read does not
     * hold whole (a PDU held whole is sliced, as any other).
     */
    public interface DataPlacement {
        /**
         * The buffer to append this PDU's data to (DATAL bytes, from its writer index, which must
         * have room for them), or null when the header is not one to act on (the PDU then comes
         * as a frame, for the connection to refuse). The header is valid during the call only.
         */
        ByteBuf placeData(ByteBuf header);
    }

    private enum State {
        COMMON_HEADER,
        REST_OF_PDU,
        /** Writing a data PDU's data (then its data digest) straight into its placement. */
        PLACING,
        FAILED
    }

    // Header field offsets, as FEI values.
    private static final int FEI_TYPE = 0;
    private static final int FEI_FLAGS = 1;
    private static final int FEI_HLEN = 2;
    private static final int FEI_PDO = 3;
    private static final int FEI_PLEN = 4;
    private static final int FEI_DATAL = 16;

    private static final int DIGEST = PduFlags.DIGEST_LENGTH;
    /**
     * Data PDUs at least this large make the next reads header-first ({@link #readLimit()}): the
     * extra read system call costs less than copying this much data out of a read buffer.
     */
    static final int LARGE_DATA = 32 * 1024;

    private final Role role;
    private final int setupType;
    private int maxPduSize;
    private State state = State.COMMON_HEADER;
    private boolean connectionInitialized;
    private boolean headerDigest;
    private boolean dataDigest;
    /** PLEN of the PDU being framed, valid in REST_OF_PDU. */
    private int pduLength;
    /** The start of a PDU that continues in the next read (owned here), or null. */
    private ByteBuf partial;
    /** Bytes copied into {@link #partial}: what joining split PDUs cost. */
    private long copiedBytes;
    private DataPlacement placement;
    private final PlacedData placed = new PlacedData();
    /** In PLACING: the PDU's header (a retained slice of the read it came in), its data's buffer. */
    private ByteBuf placeHeader;
    private ByteBuf placeInto;
    private int placeStart;
    private int placeLeft;
    private int digestLeft;
    private int digestReceived;
    /** Data bytes written straight into placements. */
    private long placedBytes;
    /** Of {@link #placedBytes}, those the socket read straight into a {@link #readWindow()}. */
    private long directBytes;
    /** The view of a placement last handed out for a socket read, and where in the placement it starts. */
    private ByteBuf window;
    private int windowStart;
    /**
     * Whether the last data PDU (the one being placed, in PLACING) has {@link #LARGE_DATA} bytes or
     * more, and its PDO (the bytes up to its data: the header, its digest, padding).
     */
    private boolean largeData;
    private int dataPdo;

    /**
     * A decoder for one connection.
     *
     * @param role       the side this decoder runs on
     * @param maxPduSize largest PLEN accepted for PDUs other than ICReq/ICResp and TermReq (e.g.
     *                   72 + 8 KiB of in-capsule data + digests on an admin queue); at least 128
     */
    public PduDecoder(Role role, int maxPduSize) {
        this.role = role;
        this.setupType = role == Role.TARGET ? PduType.ICREQ : PduType.ICRESP;
        setMaxPduSize(maxPduSize);
    }

    /** The side this decoder runs on. */
    public Role role() {
        return role;
    }

    /** Turns the negotiated digests on; call once, when handling the ICReq/ICResp. */
    public void enableDigests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    /** Whether header digests are required and verified. */
    public boolean headerDigestEnabled() {
        return headerDigest;
    }

    /** Whether data digests are required and verified. */
    public boolean dataDigestEnabled() {
        return dataDigest;
    }

    /** Changes the largest accepted PLEN (e.g. once the queue's in-capsule size is known). */
    public void setMaxPduSize(int maxPduSize) {
        if (maxPduSize < PduType.IC_LENGTH) {
            throw new IllegalArgumentException("maxPduSize must be at least 128: " + maxPduSize);
        }
        this.maxPduSize = maxPduSize;
    }

    /** The largest accepted PLEN. */
    public int maxPduSize() {
        return maxPduSize;
    }

    /** Bytes copied so far to join PDUs that were split across socket reads. */
    public long copiedBytes() {
        return copiedBytes;
    }

    /** Data bytes written so far straight from socket reads into the connection's buffers. */
    public long placedBytes() {
        return placedBytes;
    }

    /** Of {@link #placedBytes()}, the bytes the socket read straight into a placement (no copy at all). */
    public long directBytes() {
        return directBytes;
    }

    /**
     * Where the next socket read should go, while a large data PDU's data is being placed: a view of
     * the rest of its placement (a retained slice, empty, its capacity the data still to come),
     * to be read into and then handed to this decoder as the read; else null. Only a placement
     * in native memory is offered: the transports read into native memory (handed a view of a
     * heap buffer, the epoll transport's read failed). Call on the connection's event loop right
     * before the read, with nothing decoded in between.
     */
    public ByteBuf readWindow() {
        // While placing, largeData says whether this PDU is large.
        if (state != State.PLACING || !largeData || placeLeft == 0 || !placeInto.hasMemoryAddress()) {
            return null;
        }
        windowStart = placeInto.writerIndex();
        window = placeInto.retainedSlice(windowStart, placeLeft).clear();
        return window;
    }

    /**
     * How many bytes the next socket read should take at most, 0 for no limit: after a large data
     * PDU, about one PDU header (or, for a PDU already begun, its rest), so that the next large
     * PDU's data is placed by {@link #readWindow()} rather than read into a buffer and copied.
     * The header read is the longer of a data PDU's (its PDO) and the longest other header this
     * side receives (a CapsuleCmd's on the target), so that a command capsule between data PDUs
     * takes one read, not two; what it takes of a data PDU's data is copied, a few dozen bytes.
     */
    public int readLimit() {
        if (!largeData || placement == null) {
            return 0;
        }
        switch (state) {
            case COMMON_HEADER:
                return partial == null ? headerRead() : 0;
            case REST_OF_PDU:
                return partial == null ? 0 : pduLength - partial.readableBytes();
            case PLACING:
                return placeLeft == 0 ? digestLeft + headerRead() : 0;
            default:
                return 0;
        }
    }

    /**
     * Whether the last read ended inside a PDU whose rest is small (under {@value #LARGE_DATA}
     * bytes). When the peer's write of several PDUs went out as more than one TCP segment, that
     * rest is already on its way: one more read now is likely to complete the PDU, and the answers
     * to all the PDUs read so far can then go out in one write.
     */
    public boolean awaitsSmallRest() {
        switch (state) {
            case COMMON_HEADER:
                return partial != null;
            case REST_OF_PDU:
                return partial != null && pduLength - partial.readableBytes() < LARGE_DATA;
            case PLACING:
                return !largeData && placeLeft + digestLeft > 0;
            default:
                return false;
        }
    }

    private int headerRead() {
        int longest = (role == Role.TARGET ? PduType.CAPSULE_CMD_HLEN : PduType.SHORT_HLEN)
                + (headerDigest ? DIGEST : 0);
        return Math.max(dataPdo, longest);
    }

    /**
     * Lets the connection name where the data of split H2CData/C2HData PDUs goes, so that it is
     * copied once, from the socket read into that buffer, rather than joined first; such a PDU
     * then comes as {@link PlacedData}. Null turns it off.
     */
    public void placement(DataPlacement placement) {
        this.placement = placement;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            if (state == State.FAILED) {
                return;
            }
            if (state == State.PLACING ? !continuePlacing(ctx, in) : partial != null && !joinPartial(ctx, in)) {
                return;
            }
            while (state != State.FAILED && !ctx.isRemoved()) {
                if (state == State.COMMON_HEADER) {
                    if (in.readableBytes() < PduType.COMMON_HEADER_LENGTH) {
                        break;
                    }
                    pduLength = checkCommonHeader(in);
                    state = State.REST_OF_PDU;
                }
                if (in.readableBytes() < pduLength) {
                    if (startPlacing(in) && continuePlacing(ctx, in)) {
                        continue;
                    }
                    break;
                }
                Object frame = checkAndFrame(in);
                state = State.COMMON_HEADER;
                ctx.fireChannelRead(frame);
            }
            if (in.isReadable() && state != State.FAILED && state != State.PLACING && !ctx.isRemoved()) {
                // The next read continues this PDU: keep its start, sized for the whole PDU.
                int n = in.readableBytes();
                partial = ctx.alloc().directBuffer(state == State.REST_OF_PDU ? pduLength : PduType.COMMON_HEADER_LENGTH);
                partial.writeBytes(in, n);
                copiedBytes += n;
            }
        } finally {
            window = null;
            in.release();
            if (state == State.FAILED) {
                releasePartial();
            }
        }
    }

    /**
     * In REST_OF_PDU with the PDU split by this read: when it is a data PDU whose header (and
     * padding) is here and the connection names a buffer for its data, enters PLACING.
     */
    private boolean startPlacing(ByteBuf in) {
        int r = in.readerIndex();
        int type = in.getUnsignedByte(r);
        if (placement == null || type != PduType.H2C_DATA && type != PduType.C2H_DATA) {
            return false;
        }
        int pdo = in.getUnsignedByte(r + FEI_PDO);
        if (in.readableBytes() < pdo) {
            return false;
        }
        int dataLength = checkHeader(in);
        ByteBuf header = in.retainedSlice(r, pdo);
        ByteBuf into;
        try {
            into = placement.placeData(header);
        } catch (RuntimeException e) {
            header.release();
            throw e;
        }
        if (into == null) {
            header.release();
            return false;
        }
        if (into.writableBytes() < dataLength) {
            header.release();
            throw new IllegalStateException("placement for " + dataLength + " bytes has room for " + into.writableBytes());
        }
        in.skipBytes(pdo);
        placeHeader = header;
        placeInto = into;
        placeStart = into.writerIndex();
        placeLeft = dataLength;
        digestLeft = (in.getUnsignedByte(r + FEI_FLAGS) & PduFlags.DDGSTF) != 0 ? DIGEST : 0;
        digestReceived = 0;
        state = State.PLACING;
        return true;
    }

    /**
     * Writes what {@code in} holds of the placed PDU's data and digest; once both are complete,
     * emits the {@link PlacedData}. Returns whether decoding goes on in {@code in}.
     */
    private boolean continuePlacing(ChannelHandlerContext ctx, ByteBuf in) {
        int n = Math.min(placeLeft, in.readableBytes());
        if (in == window) {
            // The socket read into the placement itself: the bytes are already where they go.
            window = null;
            if (placeInto.writerIndex() != windowStart) {
                throw new IllegalStateException("a read window handed out at " + windowStart
                        + " came back with the placement at " + placeInto.writerIndex());
            }
            placeInto.writerIndex(windowStart + n);
            in.skipBytes(n);
            directBytes += n;
        } else {
            placeInto.writeBytes(in, n);
        }
        placeLeft -= n;
        placedBytes += n;
        while (placeLeft == 0 && digestLeft > 0 && in.isReadable()) {
            // The digest is little-endian: byte i is bits 8i..8i+7.
            digestReceived |= in.readUnsignedByte() << (8 * (DIGEST - digestLeft));
            digestLeft--;
        }
        if (placeLeft > 0 || digestLeft > 0) {
            return false;
        }
        ByteBuf header = placeHeader;
        int length = placeInto.writerIndex() - placeStart;
        boolean digest = (header.getUnsignedByte(header.readerIndex() + FEI_FLAGS) & PduFlags.DDGSTF) != 0;
        int computed = digest ? Crc32c.compute(placeInto, placeStart, length) : 0;
        placeHeader = null;
        placeInto = null;
        state = State.COMMON_HEADER;
        try {
            ctx.fireChannelRead(placed.set(header, computed != digestReceived, digestReceived, computed));
        } finally {
            placed.set(null, false, 0, 0);
            header.release();
        }
        return !ctx.isRemoved();
    }

    /**
     * Moves the next bytes of {@code in} onto the split PDU; once it is whole, emits it. Returns
     * whether decoding goes on in {@code in} (false: {@code in} is used up, or the stream failed).
     */
    private boolean joinPartial(ChannelHandlerContext ctx, ByteBuf in) {
        if (state == State.COMMON_HEADER) {
            copy(in, PduType.COMMON_HEADER_LENGTH - partial.readableBytes());
            if (partial.readableBytes() < PduType.COMMON_HEADER_LENGTH) {
                return false;
            }
            pduLength = checkCommonHeader(partial);
            state = State.REST_OF_PDU;
            partial.ensureWritable(pduLength - partial.readableBytes());
        }
        copy(in, pduLength - partial.readableBytes());
        if (partial.readableBytes() < pduLength) {
            return false;
        }
        ByteBuf whole = partial;
        partial = null;
        Object frame;
        try {
            frame = checkAndFrame(whole);
        } finally {
            whole.release();
        }
        state = State.COMMON_HEADER;
        ctx.fireChannelRead(frame);
        return !ctx.isRemoved();
    }

    private void copy(ByteBuf in, int wanted) {
        int n = Math.min(wanted, in.readableBytes());
        partial.writeBytes(in, n);
        copiedBytes += n;
    }

    private void releasePartial() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
        if (placeHeader != null) {
            placeHeader.release();
            placeHeader = null;
            placeInto = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePartial();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releasePartial();
        ctx.fireChannelInactive();
    }

    private boolean accepts(int type) {
        if (role == Role.TARGET) {
            return type == PduType.ICREQ || type == PduType.H2C_TERMREQ
                    || type == PduType.CAPSULE_CMD || type == PduType.H2C_DATA;
        }
        return type == PduType.ICRESP || type == PduType.C2H_TERMREQ || type == PduType.CAPSULE_RESP
                || type == PduType.C2H_DATA || type == PduType.R2T;
    }

    /** Validates the 8-byte common header; returns PLEN. */
    private int checkCommonHeader(ByteBuf in) {
        int r = in.readerIndex();
        int type = in.getUnsignedByte(r);
        int flags = in.getUnsignedByte(r + 1);
        int hlen = in.getUnsignedByte(r + 2);
        int pdo = in.getUnsignedByte(r + 3);
        long plen = in.getUnsignedIntLE(r + 4);

        if (!accepts(type)) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_TYPE,
                    PduType.name(type) + " is not a PDU the " + (role == Role.TARGET ? "host" : "controller")
                            + " sends");
        }
        boolean setup = type == setupType;
        if (!connectionInitialized && !setup && !PduType.isTermReq(type)) {
            throw fail(in, TermReqStatus.PDU_SEQUENCE_ERROR, 0,
                    PduType.name(type) + " before " + PduType.name(setupType));
        }
        if (connectionInitialized && setup) {
            throw fail(in, TermReqStatus.PDU_SEQUENCE_ERROR, 0, "second " + PduType.name(type));
        }
        int expectedHlen = PduType.headerLength(type);
        if (hlen != expectedHlen) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_HLEN,
                    PduType.name(type) + " HLEN " + hlen + ", expected " + expectedHlen);
        }
        if (setup) {
            if ((flags & (PduFlags.HDGSTF | PduFlags.DDGSTF)) != 0) {
                throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_FLAGS,
                        PduType.name(type) + " never carries digests, FLAGS " + flags);
            }
            if (pdo != 0) {
                throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PDO, PduType.name(type) + " PDO " + pdo);
            }
            if (plen != PduType.IC_LENGTH) {
                throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PLEN, PduType.name(type) + " PLEN " + plen);
            }
            return PduType.IC_LENGTH;
        }
        if (PduType.isTermReq(type)) {
            // Digest flags are ignored on TermReq: it never carries digests, and we want to see it.
            if (plen < PduType.SHORT_HLEN || plen > PduType.SHORT_HLEN + PduType.TERMREQ_MAX_DATA) {
                throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PLEN, "TermReq PLEN " + plen);
            }
            return (int) plen;
        }

        boolean hdgstf = (flags & PduFlags.HDGSTF) != 0;
        boolean ddgstf = (flags & PduFlags.DDGSTF) != 0;
        if (hdgstf != headerDigest) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_FLAGS, "HDGSTF " + (hdgstf ? "set" : "clear")
                    + " but header digests are " + (headerDigest ? "on" : "off"));
        }
        if (ddgstf && !dataDigest) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_FLAGS, "DDGSTF set but data digests are off");
        }
        if (type == PduType.C2H_DATA && (flags & PduFlags.SUCCESS) != 0 && (flags & PduFlags.LAST_PDU) == 0) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_FLAGS, "C2HData SUCCESS without LAST_PDU");
        }
        int afterHeader = hlen + (hdgstf ? DIGEST : 0);
        if (plen < afterHeader) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PLEN,
                    PduType.name(type) + " PLEN " + plen + " shorter than its header " + afterHeader);
        }
        if (plen > maxPduSize) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PLEN,
                    PduType.name(type) + " PLEN " + plen + " exceeds the maximum " + maxPduSize);
        }
        if (plen == afterHeader) {
            if (ddgstf) {
                throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_FLAGS, "DDGSTF on a PDU without data");
            }
            if (pdo != 0 && pdo != afterHeader) {
                throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PDO,
                        PduType.name(type) + " without data, PDO " + pdo);
            }
            return (int) plen;
        }
        if (!PduType.carriesData(type)) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PLEN,
                    PduType.name(type) + " carries no data, PLEN " + plen + " expected " + afterHeader);
        }
        if (dataDigest && !ddgstf) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_FLAGS, "DDGSTF clear but data digests are on");
        }
        int dataEnd = (int) plen - (ddgstf ? DIGEST : 0);
        if (pdo < afterHeader || pdo >= dataEnd) {
            throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PDO,
                    PduType.name(type) + " PDO " + pdo + " outside [" + afterHeader + ", " + dataEnd + ")");
        }
        return (int) plen;
    }

    /**
     * The PDU's header (and header digest) is readable: verifies the header digest and, for data
     * PDUs, DATAL; returns the PDU's data length.
     */
    private int checkHeader(ByteBuf in) {
        int r = in.readerIndex();
        int type = in.getUnsignedByte(r);
        int flags = in.getUnsignedByte(r + 1);
        int hlen = in.getUnsignedByte(r + 2);
        int pdo = in.getUnsignedByte(r + 3);
        boolean setupOrTerm = PduType.isConnectionSetup(type) || PduType.isTermReq(type);

        if (!setupOrTerm && (flags & PduFlags.HDGSTF) != 0) {
            int received = in.getIntLE(r + hlen);
            int computed = Crc32c.compute(in, r, hlen);
            if (received != computed) {
                throw fail(in, TermReqStatus.HEADER_DIGEST_ERROR, 0, String.format(
                        "%s header digest 0x%08x, computed 0x%08x", PduType.name(type), received, computed));
            }
        }
        boolean ddgstf = !setupOrTerm && (flags & PduFlags.DDGSTF) != 0;
        int dataLength = 0;
        if (PduType.carriesData(type) && pdo != 0 && pduLength > hlen + ((flags & PduFlags.HDGSTF) != 0 ? DIGEST : 0)) {
            dataLength = pduLength - pdo - (ddgstf ? DIGEST : 0);
        }
        if (type == PduType.H2C_DATA || type == PduType.C2H_DATA) {
            largeData = dataLength >= LARGE_DATA;
            dataPdo = pdo;
            int datal = in.getIntLE(r + FEI_DATAL);
            // Zero-length data PDUs are refused too, as Linux nvmet does: they move nothing.
            if (datal != dataLength || dataLength == 0) {
                throw fail(in, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_DATAL,
                        PduType.name(type) + " DATAL " + datal + " but the PDU holds " + dataLength);
            }
        }
        if (type == setupType) {
            connectionInitialized = true;
        }
        return dataLength;
    }

    /** The whole PDU is readable: verifies digests and DATAL, then slices it off. */
    private Object checkAndFrame(ByteBuf in) {
        int dataLength = checkHeader(in);
        int r = in.readerIndex();
        int type = in.getUnsignedByte(r);
        boolean ddgstf = !PduType.isConnectionSetup(type) && !PduType.isTermReq(type)
                && (in.getUnsignedByte(r + FEI_FLAGS) & PduFlags.DDGSTF) != 0;
        int computedData = 0;
        int receivedData = 0;
        if (ddgstf) {
            computedData = Crc32c.compute(in, r + in.getUnsignedByte(r + FEI_PDO), dataLength);
            receivedData = in.getIntLE(r + pduLength - DIGEST);
        }
        ByteBuf frame = in.readRetainedSlice(pduLength);
        if (computedData != receivedData) {
            return new PduDataDigestError(frame, receivedData, computedData);
        }
        return frame;
    }

    /** Enters FAILED, discards the rest of the stream and builds the exception (cold path). */
    private PduFormatException fail(ByteBuf in, int fes, int fei, String message) {
        int type = in.getUnsignedByte(in.readerIndex());
        int headerLength = Math.max(PduType.COMMON_HEADER_LENGTH, PduType.headerLength(type));
        int n = Math.min(Math.min(in.readableBytes(), headerLength), PduType.TERMREQ_MAX_DATA);
        byte[] header = new byte[n];
        in.getBytes(in.readerIndex(), header);
        state = State.FAILED;
        in.skipBytes(in.readableBytes());
        return new PduFormatException(fes, fei, message, header);
    }
}
