package org.k200emu.nvme.controller;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.k200emu.bdev.BdevIo;

/**
 * One command in flight, reused: a front end keeps one per queue slot. The transport copies the
 * 64-byte SQE into {@link #sqe()}, attaches host-to-controller data, and submits; the controller
 * fills the completion fields (and controller-to-host data) and calls the
 * {@link CompletionHandler}.
 *
 * <p>Data ownership: whatever {@link #data()} holds when the completion handler runs belongs to
 * the transport, which releases it (or sends it) and clears the field.
 */
public final class NvmeRequest {

    private final int slot;
    private final ByteBuf sqe = Unpooled.buffer(64, 64);
    private final BdevIo bdevIo = new BdevIo();
    private int qid;
    private ByteBufAllocator allocator;
    private ByteBuf data;
    private int transferLength;
    private int status;
    private int dw0;
    private int dw1;
    private Object transportContext;

    // Controller-side state of a command that spans several bdev I/Os (DSM, FUA, Compare).
    CompletionHandler handler;
    Object namespace;
    ByteBuf scratch;
    int step;

    public NvmeRequest(int slot) {
        this.slot = slot;
    }

    public int slot() {
        return slot;
    }

    /** The 64-byte submission queue entry, little-endian; its reader index is 0. */
    public ByteBuf sqe() {
        return sqe;
    }

    public int opcode() {
        return sqe.getUnsignedByte(0);
    }

    /** FUSE, bits 1:0 of byte 1. */
    public int fuse() {
        return sqe.getUnsignedByte(1) & 0x3;
    }

    /** PSDT, bits 7:6 of byte 1. */
    public int psdt() {
        return (sqe.getUnsignedByte(1) >>> 6) & 0x3;
    }

    public int cid() {
        return sqe.getUnsignedShortLE(2);
    }

    public int nsid() {
        return sqe.getIntLE(4);
    }

    /** Command dword {@code n} (0..15). */
    public int cdw(int n) {
        return sqe.getIntLE(4 * n);
    }

    public long sglAddress() {
        return sqe.getLongLE(24);
    }

    public int sglLength() {
        return sqe.getIntLE(32);
    }

    public int sglType() {
        return sqe.getUnsignedByte(39);
    }

    public int qid() {
        return qid;
    }

    public NvmeRequest qid(int qid) {
        this.qid = qid;
        return this;
    }

    public ByteBufAllocator allocator() {
        return allocator;
    }

    public NvmeRequest allocator(ByteBufAllocator allocator) {
        this.allocator = allocator;
        return this;
    }

    public ByteBuf data() {
        return data;
    }

    public NvmeRequest data(ByteBuf data) {
        this.data = data;
        return this;
    }

    /** Length of the host's data buffer as the transport's descriptor gives it. */
    public int transferLength() {
        return transferLength;
    }

    public NvmeRequest transferLength(int transferLength) {
        this.transferLength = transferLength;
        return this;
    }

    /** An {@link org.k200emu.nvme.NvmeStatus} code. */
    public int status() {
        return status;
    }

    public NvmeRequest status(int status) {
        this.status = status;
        return this;
    }

    public int dw0() {
        return dw0;
    }

    public NvmeRequest dw0(int dw0) {
        this.dw0 = dw0;
        return this;
    }

    public int dw1() {
        return dw1;
    }

    public NvmeRequest dw1(int dw1) {
        this.dw1 = dw1;
        return this;
    }

    /** The slot's reusable bdev I/O. */
    public BdevIo bdevIo() {
        return bdevIo;
    }

    public Object transportContext() {
        return transportContext;
    }

    public NvmeRequest transportContext(Object context) {
        this.transportContext = context;
        return this;
    }

    /** Clears the completion fields before a new command. */
    void resetCompletion() {
        status = 0;
        dw0 = 0;
        dw1 = 0;
        step = 0;
        namespace = null;
        scratch = null;
        handler = null;
    }
}
