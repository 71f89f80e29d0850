package org.k200emu.nvmeof.host;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvmeof.tcp.BatchedWriter;
import org.k200emu.nvmeof.tcp.pdu.Crc32c;
import org.k200emu.nvmeof.tcp.pdu.Pdu;
import org.k200emu.nvmeof.tcp.pdu.PduDataDigestError;
import org.k200emu.nvmeof.tcp.pdu.PduDecoder;
import org.k200emu.nvmeof.tcp.pdu.PduEncoder;
import org.k200emu.nvmeof.tcp.pdu.PduFlags;
import org.k200emu.nvmeof.tcp.pdu.PduFormatException;
import org.k200emu.nvmeof.tcp.pdu.PduType;
import org.k200emu.nvmeof.tcp.pdu.PlacedData;
import org.k200emu.nvmeof.tcp.pdu.TermReqStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of one NVMe/TCP connection, which is one queue pair (admin or I/O) of a
 * {@link RemoteController}. Runs on the connection's event loop: {@link #submit} must be called
 * there (use {@link #eventLoop()}). Commands live in preallocated slots whose index is the CID;
 * write data goes in capsule when it fits the controller's in-capsule size, else in H2CData PDUs
 * answering the controller's R2Ts, as zero-copy slices; read data is copied from C2HData into
 * the caller's buffer. If the connection fails, every command in flight completes with
 * <em>Host Path Error</em>.
 */
public final class HostQueuePair extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(HostQueuePair.class);

    private static final int SGL_IN_CAPSULE = 0x01;
    private static final int SGL_TRANSPORT = 0x5A;
    private static final int PSDT_SGL = 0x40;

    private final int qid;
    private final boolean headerDigest;
    private final boolean dataDigest;
    private final PduDecoder decoder;
    private final HostCommand[] slots;
    private final int[] free;
    private int freeCount;
    private final CompletableFuture<HostQueuePair> established = new CompletableFuture<>();
    private final long commandTimeoutNanos;
    private volatile Runnable failureListener;
    private io.netty.util.concurrent.ScheduledFuture<?> timeoutCheck;

    private ChannelHandlerContext ctx;
    private int inCapsuleLimit;
    private int maxH2CData;
    private boolean live;
    private boolean failed;
    private int inFlight;
    private BatchedWriter writer;

    /**
     * A queue pair with {@code slots} command slots (the queue size is one more: a full NVMe queue
     * keeps one entry empty). {@code inCapsuleLimit} is the largest write sent in capsule (8 KiB
     * on admin queues; IOCCSZ * 16 - 64 on I/O queues).
     */
    HostQueuePair(int qid, int slots, int inCapsuleLimit, boolean headerDigest, boolean dataDigest,
                  PduDecoder decoder, long commandTimeoutNanos) {
        this.qid = qid;
        this.commandTimeoutNanos = commandTimeoutNanos;
        this.headerDigest = headerDigest;
        this.dataDigest = dataDigest;
        this.decoder = decoder;
        this.inCapsuleLimit = inCapsuleLimit;
        this.slots = new HostCommand[slots];
        this.free = new int[slots];
        for (int i = 0; i < slots; i++) {
            this.slots[i] = new HostCommand(i);
            this.free[i] = slots - 1 - i;
        }
        this.freeCount = slots;
        decoder.placement(this::placeC2HData);
    }

    /** Completes when ICResp arrived (or fails with the reason the connection could not be set up). */
    CompletableFuture<HostQueuePair> established() {
        return established;
    }

    public int qid() {
        return qid;
    }

    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    Channel channel() {
        return ctx.channel();
    }

    /** This queue's PDU decoder (its counters: what was copied, placed, read straight into buffers). */
    PduDecoder decoder() {
        return decoder;
    }

    /** Command slots: the most commands this queue can have in flight. */
    public int depth() {
        return slots.length;
    }

    public int inFlight() {
        return inFlight;
    }

    /** True until the connection fails or closes. */
    public boolean isLive() {
        return live && !failed;
    }

    /** MAXH2CDATA the controller announced. */
    public int maxH2CData() {
        return maxH2CData;
    }

    void inCapsuleLimit(int limit) {
        this.inCapsuleLimit = limit;
    }

    /** Runs once, on the queue's loop, after the queue failed and its commands were completed. */
    void onFailure(Runnable listener) {
        this.failureListener = listener;
        if (failed) {
            eventLoop().execute(listener);
        }
    }

    // ---- Submission -----------------------------------------------------------------------

    /** A free command slot, cleared, or null if every slot is in flight. Event loop only. */
    public HostCommand acquire() {
        if (freeCount == 0) {
            return null;
        }
        HostCommand c = slots[free[--freeCount]];
        c.state = HostCommand.State.PREPARED;
        return c.clear();
    }

    /** Returns an acquired command that will not be submitted. */
    public void release(HostCommand c) {
        if (c.state == HostCommand.State.PREPARED || c.state == HostCommand.State.COMPLETING) {
            c.state = HostCommand.State.FREE;
            free[freeCount++] = c.cid();
        }
    }

    /**
     * Sends the command. Event loop only. On a failed connection it completes at once with
     * Host Path Error (still through the callback).
     */
    public void submit(HostCommand c) {
        submit(c, System.nanoTime());
    }

    /**
     * {@link #submit(HostCommand)} with the clock already read ({@code nowNanos}, a
     * {@link System#nanoTime()} reading the caller just took, becomes the command's submit time):
     * a load generator that stamps its I/Os anyway saves a clock read per I/O.
     */
    public void submit(HostCommand c, long nowNanos) {
        if (c.state != HostCommand.State.PREPARED && c.state != HostCommand.State.COMPLETING) {
            throw new IllegalStateException("command " + c.cid() + " is " + c.state);
        }
        c.state = HostCommand.State.IN_FLIGHT;
        c.submitted(nowNanos);
        inFlight++;
        if (failed || !live) {
            // Completed from a later task, so a callback that resubmits cannot recurse without end.
            eventLoop().execute(() -> complete(c, NvmeStatus.HOST_PATH_ERROR, 0, 0));
            return;
        }
        ByteBuf sqe = c.sqe();
        sqe.setShortLE(2, c.cid());
        sqe.setByte(1, (sqe.getUnsignedByte(1) & 0x3F) | PSDT_SGL);
        ByteBuf data = c.writeData();
        int writeLength = data == null ? 0 : data.readableBytes();
        boolean inCapsule = writeLength > 0 && writeLength <= inCapsuleLimit;
        int length = writeLength > 0 ? writeLength : c.readLength();
        sqe.setLongLE(24, 0);
        sqe.setIntLE(32, length);
        sqe.setMediumLE(36, 0);
        sqe.setByte(39, inCapsule ? SGL_IN_CAPSULE : SGL_TRANSPORT);
        int dataLength = inCapsule ? writeLength : 0;
        ByteBuf header = writer.beginSmall(PduType.CAPSULE_CMD_HLEN + PduFlags.DIGEST_LENGTH);
        PduEncoder.writeCapsuleCmdHeader(header, sqe, dataLength, headerDigest, dataDigest);
        writer.endSmall();
        if (inCapsule) {
            writeData(data, data.readerIndex(), writeLength);
        }
    }

    /** Zero-copy data: a range of the command's buffer, then its digest if data digests are on. */
    private void writeData(ByteBuf data, int index, int length) {
        writer.writeRegion(data, index, length);
        if (dataDigest) {
            writer.writeDigest(Crc32c.compute(data, index, length));
        }
    }

    // ---- Inbound --------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.writer = new BatchedWriter(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ByteBuf icreq = ctx.alloc().directBuffer(PduType.IC_LENGTH);
        PduEncoder.writeIcReq(icreq, 0, headerDigest, dataDigest, 0);
        ctx.writeAndFlush(icreq, ctx.voidPromise());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        writer.readStarted();
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof PlacedData) {
            onPlacedC2HData((PlacedData) msg);
            return;
        }
        if (msg instanceof PduDataDigestError) {
            PduDataDigestError error = (PduDataDigestError) msg;
            try {
                onDataDigestError(error);
            } finally {
                error.release();
            }
            return;
        }
        ByteBuf pdu = (ByteBuf) msg;
        try {
            switch (Pdu.type(pdu)) {
                case PduType.ICRESP:
                    onIcResp(pdu);
                    break;
                case PduType.CAPSULE_RESP:
                    onResponse(pdu);
                    break;
                case PduType.C2H_DATA:
                    onC2HData(pdu, false);
                    break;
                case PduType.R2T:
                    onR2T(pdu);
                    break;
                case PduType.C2H_TERMREQ:
                    fail("controller terminated the connection: " + TermReqStatus.name(Pdu.TermReq.fes(pdu))
                            + " (FEI " + Pdu.TermReq.fei(pdu) + ")");
                    break;
                default:
                    throw new IllegalStateException("unexpected PDU " + PduType.name(Pdu.type(pdu)));
            }
        } finally {
            pdu.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        writer.readComplete();
    }

    private void onIcResp(ByteBuf pdu) {
        if (live) {
            terminate(TermReqStatus.PDU_SEQUENCE_ERROR, 0, pdu);
            return;
        }
        if (Pdu.IcResp.pfv(pdu) != 0 || Pdu.IcResp.cpda(pdu) != 0) {
            // CPDA other than 0 would need padding in front of our H2C data, which we do not write.
            terminate(TermReqStatus.UNSUPPORTED_PARAMETER, Pdu.IcResp.pfv(pdu) != 0 ? 8 : 10, pdu);
            return;
        }
        if (Pdu.IcResp.headerDigest(pdu) != headerDigest || Pdu.IcResp.dataDigest(pdu) != dataDigest) {
            terminate(TermReqStatus.INVALID_PDU_HEADER_FIELD, 11, pdu);
            return;
        }
        long max = Pdu.IcResp.maxH2CData(pdu);
        if (max < 4096) {
            terminate(TermReqStatus.INVALID_PDU_HEADER_FIELD, 12, pdu);
            return;
        }
        maxH2CData = (int) Math.min(max, Integer.MAX_VALUE & ~3);
        decoder.enableDigests(headerDigest, dataDigest);
        live = true;
        if (commandTimeoutNanos > 0) {
            long period = Math.max(Math.min(commandTimeoutNanos / 4, TimeUnit.SECONDS.toNanos(1)),
                    TimeUnit.MILLISECONDS.toNanos(10));
            timeoutCheck = ctx.channel().eventLoop().scheduleAtFixedRate(this::checkTimeouts, period, period,
                    TimeUnit.NANOSECONDS);
        }
        established.complete(this);
    }

    /** A command outstanding beyond the timeout: the controller is not answering; end the connection. */
    private void checkTimeouts() {
        long now = System.nanoTime();
        for (HostCommand c : slots) {
            if (c.state == HostCommand.State.IN_FLIGHT && now - c.submitNanos() > commandTimeoutNanos) {
                LOG.warn("{}: command {} (opcode {}h) unanswered after {} ms, closing the connection", this, c.cid(),
                        Integer.toHexString(c.opcode()), TimeUnit.NANOSECONDS.toMillis(now - c.submitNanos()));
                fail("command timeout");
                return;
            }
        }
    }

    private HostCommand inFlightCommand(int cid) {
        if (cid >= slots.length) {
            return null;
        }
        HostCommand c = slots[cid];
        return c.state == HostCommand.State.IN_FLIGHT ? c : null;
    }

    private void onResponse(ByteBuf pdu) {
        HostCommand c = inFlightCommand(Pdu.CapsuleResp.cid(pdu));
        if (c == null) {
            terminate(TermReqStatus.INVALID_PDU_HEADER_FIELD, 8 + 12, pdu);
            return;
        }
        int status = Pdu.CapsuleResp.status(pdu) & 0x7FFF;
        if (status == 0 && c.dataDigestFailed) {
            status = NvmeStatus.TRANSIENT_TRANSPORT_ERROR;
        }
        if (status == 0 && c.readBuffer() != null && c.received != c.readLength()) {
            status = NvmeStatus.withDnr(NvmeStatus.DATA_TRANSFER_ERROR);
        }
        complete(c, status, Pdu.CapsuleResp.dw0(pdu), Pdu.CapsuleResp.dw1(pdu));
    }

    private void onC2HData(ByteBuf pdu, boolean digestFailed) {
        HostCommand c = c2hDataCommand(pdu, true);
        if (c == null) {
            return;
        }
        int length = Pdu.C2HData.dataLength(pdu);
        ByteBuf into = c.readBuffer();
        into.ensureWritable(length);
        into.writeBytes(pdu, Pdu.dataIndex(pdu), length);
        c2hDataArrived(c, Pdu.flags(pdu), length, digestFailed);
    }

    /**
     * The decoder's question for a C2HData PDU split across socket reads: its data goes straight
     * into the caller's read buffer when the header is sound; else null, and the PDU comes whole
     * to {@link #onC2HData}, which refuses it.
     */
    private ByteBuf placeC2HData(ByteBuf header) {
        HostCommand c = c2hDataCommand(header, false);
        if (c == null) {
            return null;
        }
        ByteBuf into = c.readBuffer();
        into.ensureWritable(Pdu.C2HData.dataLength(header));
        return into;
    }

    /** A C2HData PDU whose data the decoder wrote into the buffer {@link #placeC2HData} named. */
    private void onPlacedC2HData(PlacedData placed) {
        ByteBuf header = placed.header();
        if (placed.digestFailed()) {
            LOG.warn("{}: data digest error in C2HData", this);
        }
        // The header was checked when the placement was given, and nothing ran in between.
        c2hDataArrived(slots[Pdu.C2HData.cccid(header)], Pdu.flags(header), Pdu.C2HData.dataLength(header),
                placed.digestFailed());
    }

    /**
     * The command a C2HData header is for, when the data fits what it awaits; else null, after
     * ending the connection with the matching TermReq if {@code terminate}.
     */
    private HostCommand c2hDataCommand(ByteBuf pdu, boolean terminate) {
        HostCommand c = inFlightCommand(Pdu.C2HData.cccid(pdu));
        if (c == null || c.readBuffer() == null) {
            if (terminate) {
                terminate(TermReqStatus.INVALID_PDU_HEADER_FIELD, 8, pdu);
            }
            return null;
        }
        int offset = Pdu.C2HData.dataOffset(pdu);
        int length = Pdu.C2HData.dataLength(pdu);
        if (offset != c.received || length > c.readLength() - offset) {
            if (terminate) {
                terminate(TermReqStatus.DATA_TRANSFER_OUT_OF_RANGE, 12, pdu);
            }
            return null;
        }
        return c;
    }

    private void c2hDataArrived(HostCommand c, int flags, int length, boolean digestFailed) {
        c.received += length;
        c.dataDigestFailed |= digestFailed;
        if ((flags & PduFlags.SUCCESS) != 0) {
            complete(c, c.dataDigestFailed ? NvmeStatus.TRANSIENT_TRANSPORT_ERROR : 0, 0, 0);
        }
    }

    private void onR2T(ByteBuf pdu) {
        HostCommand c = inFlightCommand(Pdu.R2T.cccid(pdu));
        ByteBuf data = c == null ? null : c.writeData();
        int offset = Pdu.R2T.offset(pdu);
        int length = Pdu.R2T.length(pdu);
        if (data == null) {
            terminate(TermReqStatus.INVALID_PDU_HEADER_FIELD, 8, pdu);
            return;
        }
        if (offset < 0 || length <= 0 || length > data.readableBytes() - offset) {
            terminate(TermReqStatus.DATA_TRANSFER_OUT_OF_RANGE, 12, pdu);
            return;
        }
        int ttag = Pdu.R2T.ttag(pdu);
        int sent = 0;
        while (sent < length) {
            int n = Math.min(length - sent, maxH2CData);
            ByteBuf header = writer.beginSmall(PduType.SHORT_HLEN + PduFlags.DIGEST_LENGTH);
            PduEncoder.writeH2CDataHeader(header, c.cid(), ttag, offset + sent, n, sent + n == length,
                    headerDigest, dataDigest);
            writer.endSmall();
            writeData(data, data.readerIndex() + offset + sent, n);
            sent += n;
        }
    }

    private void onDataDigestError(PduDataDigestError error) {
        ByteBuf pdu = error.frame();
        LOG.warn("{}: data digest error in {}", this, PduType.name(Pdu.type(pdu)));
        if (Pdu.type(pdu) == PduType.C2H_DATA) {
            onC2HData(pdu, true);
        } else {
            terminate(TermReqStatus.PDU_SEQUENCE_ERROR, 0, pdu);
        }
    }

    private void complete(HostCommand c, int status, int dw0, int dw1) {
        inFlight--;
        c.result(status, dw0, dw1);
        c.state = HostCommand.State.COMPLETING;
        HostCompletion callback = c.completion();
        try {
            if (callback != null) {
                callback.completed(c);
            }
        } catch (RuntimeException e) {
            LOG.error("{}: completion callback of command {} failed", this, c.cid(), e);
        }
        if (c.state == HostCommand.State.COMPLETING) {
            c.state = HostCommand.State.FREE;
            free[freeCount++] = c.cid();
        }
    }

    // ---- Failure --------------------------------------------------------------------------

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof PduFormatException) {
            PduFormatException e = (PduFormatException) cause;
            ByteBuf out = ctx.alloc().heapBuffer(PduType.SHORT_HLEN + PduType.TERMREQ_MAX_DATA);
            PduEncoder.writeTermReq(out, PduType.H2C_TERMREQ, e);
            writer.writeAndFlushNow(out);
            fail("malformed PDU from the controller: " + e.getMessage());
        } else if (cause instanceof IOException) {
            fail("connection error: " + cause.getMessage());
        } else {
            LOG.error("{}: internal error", this, cause);
            fail("internal error: " + cause);
        }
    }

    private void terminate(int fes, int fei, ByteBuf pdu) {
        ByteBuf header = pdu.slice(pdu.readerIndex(), Math.min(Pdu.hlen(pdu), pdu.readableBytes()));
        ByteBuf out = ctx.alloc().heapBuffer(PduType.SHORT_HLEN + PduType.TERMREQ_MAX_DATA);
        PduEncoder.writeTermReq(out, PduType.H2C_TERMREQ, fes, fei, header);
        writer.writeAndFlushNow(out);
        fail(TermReqStatus.name(fes) + " at header byte " + fei + " of a " + PduType.name(Pdu.type(pdu)));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        writer.discard();
        fail("connection closed");
        ctx.fireChannelInactive();
    }

    /** Ends the queue: every command in flight completes with Host Path Error. Event loop only. */
    private void fail(String reason) {
        if (failed) {
            return;
        }
        failed = true;
        if (live) {
            LOG.debug("{}: {}", this, reason);
        }
        if (timeoutCheck != null) {
            timeoutCheck.cancel(false);
        }
        established.completeExceptionally(new IOException(reason));
        for (HostCommand c : slots) {
            if (c.state == HostCommand.State.IN_FLIGHT) {
                complete(c, NvmeStatus.HOST_PATH_ERROR, 0, 0);
            }
        }
        ctx.channel().close();
        Runnable listener = failureListener;
        if (listener != null) {
            listener.run();
        }
    }

    /** Closes the connection; commands in flight complete with Host Path Error. Any thread. */
    public void close() {
        if (ctx != null) {
            ctx.channel().eventLoop().execute(() -> fail("closed by the host"));
        }
    }

    @Override
    public String toString() {
        return "host-queue[" + qid + " " + (ctx == null ? "?" : ctx.channel().remoteAddress()) + "]";
    }
}
