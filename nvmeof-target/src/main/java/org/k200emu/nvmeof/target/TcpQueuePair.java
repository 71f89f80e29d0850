package org.k200emu.nvmeof.target;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.k200emu.cluster.SimCore;
import org.k200emu.nvme.AdminOpcode;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.controller.CompletionHandler;
import org.k200emu.nvme.controller.NvmeController;
import org.k200emu.nvme.controller.NvmeRequest;
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
 * One NVMe/TCP connection, which is one queue pair (admin or I/O) of one controller. Sits behind
 * the connection's {@link PduDecoder} and runs entirely on the connection's event loop, which is
 * the host thread of the simulated core the queue is placed on: connection set-up (ICReq),
 * Fabrics Connect, then each command capsule into a preallocated slot, write data in capsule or
 * through R2T/H2CData, submission to the {@link NvmeController}, and the completion back as
 * C2HData and a response capsule. Writes are flushed once per read batch (or once per loop turn
 * for completions that arrive outside a read).
 *
 * <p>A malformed PDU ends only this connection, with a C2HTermReq carrying the decoder's or this
 * handler's fatal error status. Closing the admin queue ends the controller's whole session.
 */
final class TcpQueuePair extends ChannelInboundHandlerAdapter implements CompletionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(TcpQueuePair.class);

    private enum State {
        AWAIT_ICREQ,
        AWAIT_CONNECT,
        LIVE,
        /** Shutting down: commands in flight finish, new ones are aborted, then the connection closes. */
        DRAINING,
        CLOSED
    }

    // SGL descriptor identifiers (SQE byte 39) that NVMe/TCP uses.
    private static final int SGL_IN_CAPSULE = 0x01;
    private static final int SGL_TRANSPORT = 0x5A;
    private static final int PSDT_SGL = 1;

    private static final int DIRECTION_HOST_TO_CONTROLLER = 1;
    private static final int DIRECTION_CONTROLLER_TO_HOST = 2;

    // FEI values: offsets of the H2CData header fields.
    private static final int FEI_CCCID = 8;
    private static final int FEI_TTAG = 10;
    private static final int FEI_DATAO = 12;
    private static final int FEI_DATAL = 16;
    private static final int FEI_PFV = 8;
    private static final int FEI_HPDA = 10;

    private final NvmeofTarget target;
    private final TargetPort port;
    private final PduDecoder decoder;
    private final TcpTransportSettings settings;

    private ChannelHandlerContext ctx;
    private State state = State.AWAIT_ICREQ;
    private boolean headerDigest;
    private boolean dataDigest;

    // Set by Connect.
    private ControllerSession session;
    private NvmeController controller;
    private SimCore core;
    private int qid = -1;
    private QueueSlots slots;
    private int queueSize;
    private int sqHead;
    /** The host disabled SQ flow control (Connect CATTR bit 2): reads may end with C2HData SUCCESS. */
    private boolean sqFlowDisabled;

    /** A command arrived in the current read batch (keep-alive activity to record). */
    private boolean activitySeen;
    /** Commands handed to the controller and not yet completed. */
    private int inFlight;
    /** Of those, Asynchronous Event Requests (they stay outstanding by design). */
    private int eventRequestsInFlight;
    /** I/O commands completed on this queue (statistics; read racily by other threads). */
    private long ioCommands;
    private BatchedWriter writer;

    TcpQueuePair(NvmeofTarget target, TargetPort port, PduDecoder decoder) {
        this.target = target;
        this.port = port;
        this.decoder = decoder;
        this.settings = target.settings();
        decoder.placement(this::placeH2CData);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.writer = new BatchedWriter(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        target.connectionOpened(this);
        ctx.fireChannelActive();
    }

    // ---- Inbound PDUs ---------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        writer.readStarted();
        if (state == State.CLOSED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof PlacedData) {
            onPlacedH2CData((PlacedData) msg);
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
                case PduType.ICREQ:
                    onIcReq(pdu);
                    break;
                case PduType.CAPSULE_CMD:
                    onCapsule(pdu, false);
                    break;
                case PduType.H2C_DATA:
                    onH2CData(pdu, false);
                    break;
                case PduType.H2C_TERMREQ:
                    LOG.warn("{}: host terminated the connection: {} (FEI {})", this,
                            TermReqStatus.name(Pdu.TermReq.fes(pdu)), Pdu.TermReq.fei(pdu));
                    close();
                    break;
                default:
                    // The decoder lets through only the types a target receives.
                    throw new IllegalStateException("unexpected PDU " + PduType.name(Pdu.type(pdu)));
            }
        } finally {
            pdu.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (activitySeen && controller != null) {
            activitySeen = false;
            controller.touch(System.nanoTime());
        }
        writer.readComplete();
    }

    private void onIcReq(ByteBuf pdu) {
        if (state != State.AWAIT_ICREQ) {
            terminate(TermReqStatus.PDU_SEQUENCE_ERROR, 0, pdu);
            return;
        }
        if (Pdu.IcReq.pfv(pdu) != 0) {
            terminate(TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_PFV, pdu);
            return;
        }
        if (Pdu.IcReq.hpda(pdu) != 0) {
            // Padding C2HData to a host alignment is not implemented; Linux and SPDK ask for none.
            terminate(TermReqStatus.UNSUPPORTED_PARAMETER, FEI_HPDA, pdu);
            return;
        }
        headerDigest = Pdu.IcReq.headerDigest(pdu);
        dataDigest = Pdu.IcReq.dataDigest(pdu);
        decoder.enableDigests(headerDigest, dataDigest);
        ByteBuf out = ctx.alloc().directBuffer(PduType.IC_LENGTH);
        PduEncoder.writeIcResp(out, 0, headerDigest, dataDigest, settings.maxH2CData());
        writer.write(out);
        state = State.AWAIT_CONNECT;
    }

    private void onCapsule(ByteBuf pdu, boolean digestFailed) {
        int cid = Pdu.CapsuleCmd.cid(pdu);
        if (state == State.AWAIT_CONNECT) {
            onConnect(pdu, cid, digestFailed);
            return;
        }
        sqHead = sqHead + 1 == queueSize ? 0 : sqHead + 1;
        TcpCommand cmd = slots.acquire();
        if (cmd == null) {
            LOG.warn("{}: command {} exceeds the queue size {}", this, cid, queueSize);
            writeResponse(0, 0, cid, NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));
            return;
        }
        NvmeRequest req = cmd.request;
        req.sqe().setBytes(0, pdu, Pdu.CapsuleCmd.sqeIndex(pdu), Pdu.CapsuleCmd.SQE_LENGTH);
        req.qid(qid).allocator(ctx.alloc()).data(null).transferLength(0);
        // Keep-alive activity, stamped once per read batch (channelReadComplete), not per command.
        activitySeen = true;
        if (digestFailed) {
            finish(cmd, NvmeStatus.TRANSIENT_TRANSPORT_ERROR);
            return;
        }
        if (state == State.DRAINING) {
            finish(cmd, NvmeStatus.ABORTED_SQ_DELETION);
            return;
        }
        int status = attachData(cmd, pdu);
        if (status != NvmeStatus.SUCCESS) {
            finish(cmd, status);
        } else if (!cmd.awaitingData) {
            dispatch(cmd);
        }
    }

    /** Data direction of the command in {@code req}: bits 1:0 of the opcode (or of a Fabrics type). */
    private static int direction(NvmeRequest req) {
        int opcode = req.opcode();
        return opcode == FabricsCommand.OPCODE ? FabricsCommand.direction(FabricsCommand.fctype(req.sqe()))
                : opcode & 0x3;
    }

    /**
     * Reads the command's SGL descriptor and attaches its data: a slice of in-capsule data, or a
     * buffer that R2Ts will fill (then {@code awaitingData}), or just the transfer length for
     * reads. Returns an NVMe status, SUCCESS when the command may proceed.
     */
    private int attachData(TcpCommand cmd, ByteBuf pdu) {
        NvmeRequest req = cmd.request;
        if (req.psdt() != PSDT_SGL) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
        }
        long length = req.sglLength() & 0xFFFF_FFFFL;
        int inCapsule = Pdu.dataLength(pdu);
        int direction = direction(req);
        switch (req.sglType()) {
            case SGL_IN_CAPSULE: {
                long offset = req.sglAddress();
                if (direction != DIRECTION_HOST_TO_CONTROLLER || length > settings.inCapsuleDataSize()) {
                    return NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID);
                }
                if (offset < 0 || offset + length > inCapsule) {
                    return NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID);
                }
                int n = (int) length;
                req.transferLength(n);
                if (n > 0) {
                    req.data(pdu.retainedSlice(Pdu.dataIndex(pdu) + (int) offset, n));
                }
                return NvmeStatus.SUCCESS;
            }
            case SGL_TRANSPORT:
                if (inCapsule > 0) {
                    return NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID);
                }
                if (length > settings.maxTransferBytes()) {
                    return NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
                }
                req.transferLength((int) length);
                if (direction == DIRECTION_HOST_TO_CONTROLLER && length > 0) {
                    cmd.expected = (int) length;
                    cmd.writeBuffer = ctx.alloc().directBuffer(cmd.expected, cmd.expected);
                    cmd.awaitingData = true;
                    sendR2T(cmd);
                }
                return NvmeStatus.SUCCESS;
            default:
                return NvmeStatus.withDnr(NvmeStatus.SGL_DESCRIPTOR_TYPE_INVALID);
        }
    }

    private void sendR2T(TcpCommand cmd) {
        int length = Math.min(cmd.expected - cmd.received, settings.maxH2CData());
        cmd.r2tEnd = cmd.received + length;
        ByteBuf out = writer.beginSmall(PduType.SHORT_HLEN + PduFlags.DIGEST_LENGTH);
        PduEncoder.writeR2T(out, cmd.request.cid(), cmd.slot, cmd.received, length, headerDigest);
        writer.endSmall();
    }

    private void onH2CData(ByteBuf pdu, boolean digestFailed) {
        TcpCommand cmd = h2cDataCommand(pdu, true);
        if (cmd == null) {
            return;
        }
        int length = Pdu.H2CData.dataLength(pdu);
        // One copy into the command's buffer; the bdev then owns a single contiguous buffer.
        cmd.writeBuffer.writeBytes(pdu, Pdu.dataIndex(pdu), length);
        h2cDataArrived(cmd, length, digestFailed);
    }

    /**
     * The decoder's question for an H2CData PDU split across socket reads: its data goes straight
     * into its command's buffer (the one copy it takes anyway) when the header is sound; else
     * null, and the PDU comes whole to {@link #onH2CData}, which refuses it.
     */
    private ByteBuf placeH2CData(ByteBuf header) {
        TcpCommand cmd = h2cDataCommand(header, false);
        return cmd == null ? null : cmd.writeBuffer;
    }

    /** An H2CData PDU whose data the decoder wrote into the buffer {@link #placeH2CData} named. */
    private void onPlacedH2CData(PlacedData placed) {
        ByteBuf header = placed.header();
        if (placed.digestFailed()) {
            LOG.warn("{}: data digest error in H2CData (received {}, computed {})", this,
                    Integer.toHexString(placed.receivedDigest()), Integer.toHexString(placed.computedDigest()));
        }
        // The header was checked when the placement was given, and nothing ran in between.
        h2cDataArrived(slots.get(Pdu.H2CData.ttag(header)), Pdu.H2CData.dataLength(header), placed.digestFailed());
    }

    /**
     * The command an H2CData header is for, when the header fits what the command awaits; else
     * null, after ending the connection with the matching TermReq if {@code terminate}.
     */
    private TcpCommand h2cDataCommand(ByteBuf pdu, boolean terminate) {
        if (state != State.LIVE && state != State.DRAINING) {
            return refuse(terminate, TermReqStatus.PDU_SEQUENCE_ERROR, 0, pdu);
        }
        TcpCommand cmd = slots.get(Pdu.H2CData.ttag(pdu));
        if (cmd == null || !cmd.awaitingData) {
            return refuse(terminate, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_TTAG, pdu);
        }
        if (cmd.request.cid() != Pdu.H2CData.cccid(pdu)) {
            return refuse(terminate, TermReqStatus.INVALID_PDU_HEADER_FIELD, FEI_CCCID, pdu);
        }
        int offset = Pdu.H2CData.dataOffset(pdu);
        int length = Pdu.H2CData.dataLength(pdu);
        if (offset != cmd.received) {
            return refuse(terminate, TermReqStatus.DATA_TRANSFER_OUT_OF_RANGE, FEI_DATAO, pdu);
        }
        if (length > settings.maxH2CData()) {
            return refuse(terminate, TermReqStatus.DATA_TRANSFER_LIMIT_EXCEEDED, FEI_DATAL, pdu);
        }
        if (length > cmd.r2tEnd - cmd.received) {
            return refuse(terminate, TermReqStatus.DATA_TRANSFER_OUT_OF_RANGE, FEI_DATAL, pdu);
        }
        return cmd;
    }

    private TcpCommand refuse(boolean terminate, int fes, int fei, ByteBuf pdu) {
        if (terminate) {
            terminate(fes, fei, pdu);
        }
        return null;
    }

    /** {@code length} more bytes of the command's write data are in its buffer. */
    private void h2cDataArrived(TcpCommand cmd, int length, boolean digestFailed) {
        cmd.received += length;
        cmd.dataDigestFailed |= digestFailed;
        if (cmd.received < cmd.r2tEnd) {
            return;
        }
        if (cmd.received < cmd.expected) {
            sendR2T(cmd);
            return;
        }
        cmd.awaitingData = false;
        ByteBuf data = cmd.writeBuffer;
        cmd.writeBuffer = null;
        cmd.request.data(data);
        if (cmd.dataDigestFailed) {
            finish(cmd, NvmeStatus.TRANSIENT_TRANSPORT_ERROR);
        } else if (state == State.DRAINING) {
            finish(cmd, NvmeStatus.ABORTED_SQ_DELETION);
        } else {
            dispatch(cmd);
        }
    }

    /**
     * A PDU whose data digest is wrong: the header is sound, so only the command fails, with
     * Transient Transport Error (the host may retry it); the connection carries on.
     */
    private void onDataDigestError(PduDataDigestError error) {
        ByteBuf pdu = error.frame();
        LOG.warn("{}: data digest error in {} (received {}, computed {})", this, PduType.name(Pdu.type(pdu)),
                Integer.toHexString(error.received()), Integer.toHexString(error.computed()));
        if (Pdu.type(pdu) == PduType.CAPSULE_CMD) {
            onCapsule(pdu, true);
        } else if (Pdu.type(pdu) == PduType.H2C_DATA) {
            onH2CData(pdu, true);
        } else {
            terminate(TermReqStatus.PDU_SEQUENCE_ERROR, 0, pdu);
        }
    }

    // ---- Connect and Fabrics commands -----------------------------------------------------

    private void onConnect(ByteBuf pdu, int cid, boolean digestFailed) {
        ByteBuf sqe = pdu.slice(Pdu.CapsuleCmd.sqeIndex(pdu), Pdu.CapsuleCmd.SQE_LENGTH);
        if (sqe.getUnsignedByte(0) != FabricsCommand.OPCODE || FabricsCommand.fctype(sqe) != FabricsCommand.CONNECT) {
            writeResponse(0, 0, cid, NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));
            return;
        }
        if (digestFailed) {
            writeResponse(0, 0, cid, NvmeStatus.TRANSIENT_TRANSPORT_ERROR);
            return;
        }
        int length = Pdu.dataLength(pdu);
        if (sqe.getUnsignedByte(39) != SGL_IN_CAPSULE || length < ConnectRequest.DATA_LENGTH) {
            // NVMe/TCP: Connect data always travels in the capsule.
            writeResponse(0, 0, cid, NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
            return;
        }
        ConnectRequest request = ConnectRequest.parse(sqe, pdu.slice(Pdu.dataIndex(pdu), length));
        ConnectResult result = target.connect(request, this);
        if (result.status() != NvmeStatus.SUCCESS) {
            LOG.info("{}: connect to {} queue {} from {} refused: {}", this, request.subnqn(), request.qid(),
                    request.hostNqn(), result.reason());
            writeResponse(result.dw0(), 0, cid, result.status());
            return;
        }
        session = result.session();
        controller = session.controller();
        core = result.core();
        qid = request.qid();
        queueSize = request.sqsize() + 1;
        sqHead = 1;
        sqFlowDisabled = (request.cattr() & 0x04) != 0;
        slots = new QueueSlots(queueSize);
        state = State.LIVE;
        LOG.debug("{}: connected ({} entries, digests h={} d={}, core {})", this, queueSize, headerDigest,
                dataDigest, core.id());
        writeResponse(result.dw0(), 0, cid, NvmeStatus.SUCCESS);
    }

    /** A Fabrics command after Connect: Property Get/Set on the admin queue, Disconnect. */
    private void fabrics(TcpCommand cmd) {
        NvmeRequest req = cmd.request;
        int fctype = FabricsCommand.fctype(req.sqe());
        switch (fctype) {
            case FabricsCommand.PROPERTY_GET: {
                int size = FabricsCommand.propertySize(req.sqe());
                if (qid != 0 || size < 0) {
                    finish(cmd, NvmeStatus.withDnr(qid != 0 ? NvmeStatus.INVALID_OPCODE : NvmeStatus.INVALID_FIELD));
                    return;
                }
                NvmeController.PropertyValue v = controller.getProperty(
                        req.sqe().getIntLE(FabricsCommand.PROPERTY_OFFSET), size);
                req.dw0((int) v.value()).dw1((int) (v.value() >>> 32));
                finish(cmd, v.status());
                return;
            }
            case FabricsCommand.PROPERTY_SET: {
                int size = FabricsCommand.propertySize(req.sqe());
                if (qid != 0 || size < 0) {
                    finish(cmd, NvmeStatus.withDnr(qid != 0 ? NvmeStatus.INVALID_OPCODE : NvmeStatus.INVALID_FIELD));
                    return;
                }
                finish(cmd, controller.setProperty(req.sqe().getIntLE(FabricsCommand.PROPERTY_OFFSET), size,
                        req.sqe().getLongLE(FabricsCommand.PROPERTY_VALUE)));
                return;
            }
            case FabricsCommand.DISCONNECT:
                finish(cmd, NvmeStatus.SUCCESS);
                writer.flushNow();
                close();
                return;
            case FabricsCommand.CONNECT:
                // This queue is connected already.
                finish(cmd, NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));
                return;
            default:
                // Authentication is not supported, nor are unknown types.
                finish(cmd, NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        }
    }

    // ---- Execution and completion ---------------------------------------------------------

    private void dispatch(TcpCommand cmd) {
        NvmeRequest req = cmd.request;
        if (req.opcode() == FabricsCommand.OPCODE) {
            fabrics(cmd);
            return;
        }
        inFlight++;
        if (qid == 0) {
            if (req.opcode() == AdminOpcode.ASYNC_EVENT_REQUEST.opcode()) {
                eventRequestsInFlight++;
            }
            controller.submitAdmin(req, this);
        } else {
            controller.submitIo(req, core, this);
        }
    }

    /** The controller finished a command (on this queue's core, hence on this event loop). */
    @Override
    public void completed(NvmeRequest req) {
        inFlight--;
        if (qid != 0) {
            ioCommands++;
        }
        if (qid == 0 && req.opcode() == AdminOpcode.ASYNC_EVENT_REQUEST.opcode()) {
            eventRequestsInFlight--;
        }
        finish((TcpCommand) req.transportContext(), req.status());
        if (state == State.DRAINING && inFlight == eventRequestsInFlight) {
            closeAfterFlush();
        }
    }

    /** Sends the command's data (reads) and response, and frees its slot. */
    private void finish(TcpCommand cmd, int status) {
        NvmeRequest req = cmd.request;
        ByteBuf data = req.data();
        req.data(null);
        if (cmd.writeBuffer != null) {
            cmd.writeBuffer.release();
            cmd.writeBuffer = null;
        }
        cmd.awaitingData = false;
        int cid = req.cid();
        if (state == State.CLOSED) {
            ReferenceCountUtil.release(data);
            slots.release(cmd);
            return;
        }
        if (data != null) {
            if (status == NvmeStatus.SUCCESS && direction(req) == DIRECTION_CONTROLLER_TO_HOST
                    && data.isReadable()) {
                // Without SQ flow control and with nothing to say in the CQE, the last data PDU
                // completes the command (SUCCESS flag): one PDU less per read.
                boolean successFlag = sqFlowDisabled && req.dw0() == 0 && req.dw1() == 0;
                sendC2HData(cid, data, successFlag);
                if (successFlag) {
                    slots.release(cmd);
                    return;
                }
            } else {
                data.release();
            }
        }
        writeResponse(req.dw0(), req.dw1(), cid, status);
        slots.release(cmd);
    }

    /**
     * One C2HData PDU with all of the command's data (the host accepts any size up to the
     * transfer); with {@code success} it also completes the command.
     */
    private void sendC2HData(int cid, ByteBuf data, boolean success) {
        int length = data.readableBytes();
        boolean digest = dataDigest;
        ByteBuf header = writer.beginSmall(PduType.SHORT_HLEN + PduFlags.DIGEST_LENGTH);
        PduEncoder.writeC2HDataHeader(header, cid, 0, length, true, success, headerDigest, digest);
        writer.endSmall();
        if (digest) {
            int crc = Crc32c.compute(data, data.readerIndex(), length);
            writer.write(data);
            writer.writeDigest(crc);
        } else {
            writer.write(data);
        }
    }

    private void writeResponse(int dw0, int dw1, int cid, int status) {
        ByteBuf out = writer.beginSmall(PduType.SHORT_HLEN + PduFlags.DIGEST_LENGTH);
        PduEncoder.writeCapsuleResp(out, dw0, dw1, sqHead, Math.max(qid, 0), cid,
                NvmeStatus.toCqeStatusField(status), headerDigest);
        writer.endSmall();
    }

    // ---- Errors and teardown --------------------------------------------------------------

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.CLOSED) {
            return;
        }
        if (cause instanceof PduFormatException) {
            PduFormatException e = (PduFormatException) cause;
            LOG.warn("{}: malformed PDU, terminating the connection: {}", this, e.getMessage());
            ByteBuf out = ctx.alloc().heapBuffer(PduType.SHORT_HLEN + PduType.TERMREQ_MAX_DATA);
            PduEncoder.writeTermReq(out, PduType.C2H_TERMREQ, e);
            sendAndClose(out);
        } else if (cause instanceof IOException) {
            LOG.debug("{}: connection error: {}", this, cause.toString());
            close();
        } else {
            Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            LOG.error("{}: internal error, closing the connection", this, c);
            close();
        }
    }

    /** A fatal transport error found here (not in the decoder): C2HTermReq, then close. */
    private void terminate(int fes, int fei, ByteBuf pdu) {
        LOG.warn("{}: {} at header byte {} in {}, terminating the connection", this, TermReqStatus.name(fes), fei,
                PduType.name(Pdu.type(pdu)));
        ByteBuf header = pdu.slice(pdu.readerIndex(), Math.min(Pdu.hlen(pdu), pdu.readableBytes()));
        ByteBuf out = ctx.alloc().heapBuffer(PduType.SHORT_HLEN + PduType.TERMREQ_MAX_DATA);
        PduEncoder.writeTermReq(out, PduType.C2H_TERMREQ, fes, fei, header);
        sendAndClose(out);
    }

    private void sendAndClose(ByteBuf termReq) {
        state = State.CLOSED;
        writer.writeAndFlushNow(termReq).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeAfterFlush() {
        state = State.CLOSED;
        writer.writeAndFlushNow(ctx.alloc().buffer(0)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Closes the connection now; anything in flight completes into the void. */
    void close() {
        ctx.channel().close();
    }

    /**
     * Target shutdown: stop taking commands, let those in flight complete and be answered, then
     * close. Any thread.
     */
    void drain() {
        ctx.channel().eventLoop().execute(() -> {
            if (state == State.LIVE && inFlight > eventRequestsInFlight) {
                state = State.DRAINING;
            } else if (state != State.CLOSED) {
                closeAfterFlush();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        writer.discard();
        if (slots != null) {
            // Commands still gathering write data never reached the controller: free them here.
            for (int i = 0; i < slots.size(); i++) {
                TcpCommand cmd = slots.get(i);
                if (cmd.awaitingData) {
                    cmd.awaitingData = false;
                    cmd.writeBuffer.release();
                    cmd.writeBuffer = null;
                    slots.release(cmd);
                }
            }
        }
        if (session != null) {
            session.queueClosed(qid, this);
        }
        target.connectionClosed(this);
        LOG.debug("{}: closed", this);
        ctx.fireChannelInactive();
    }

    // ---- Introspection ----------------------------------------------------------------------

    TargetPort port() {
        return port;
    }

    /** The connection's channel (for closing it from another thread). */
    io.netty.channel.Channel channel() {
        return ctx.channel();
    }

    int qid() {
        return qid;
    }

    long ioCommands() {
        return ioCommands;
    }

    @Override
    public String toString() {
        String remote = ctx == null ? "?" : String.valueOf(ctx.channel().remoteAddress());
        return controller == null ? "queue[" + remote + "]"
                : "queue[" + controller.cntlid() + ":" + qid + " " + remote + "]";
    }
}
