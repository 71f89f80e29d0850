package org.k200emu.nvmeof.host;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * One command slot of a {@link HostQueuePair}, reused for every command that occupies it: the
 * slot index is the command identifier (CID). The caller fills the SQE (opcode, NSID, command
 * dwords; the queue sets CID and the SGL), attaches write data or a read buffer, and submits;
 * the queue fills the completion fields and calls the {@link HostCompletion}.
 *
 * <p>Data ownership: write data stays the caller's (the queue sends retained slices of it); a
 * read buffer is the caller's and receives the data at its writer index.
 */
public final class HostCommand {

    private static final int PRACT = 1 << 29;
    private static final int PRCHK_GUARD = 1 << 28;
    private static final int PRCHK_REF = 1 << 26;

    enum State { FREE, PREPARED, IN_FLIGHT, COMPLETING }

    private final int cid;
    private final ByteBuf sqe = Unpooled.buffer(64, 64);
    private ByteBuf writeData;
    private ByteBuf readBuffer;
    private int readLength;
    private int status;
    private int dw0;
    private int dw1;
    private HostCompletion completion;
    private Object context;
    private long submitNanos;

    // Queue-side state.
    State state = State.FREE;
    /** Bytes of C2HData received. */
    int received;
    /** A data digest failed on this command's data: it completes with Transient Transport Error. */
    boolean dataDigestFailed;

    HostCommand(int cid) {
        this.cid = cid;
        sqe.writeZero(64);
    }

    public int cid() {
        return cid;
    }

    /** Clears the SQE and the data, ready to be filled for a new command. */
    public HostCommand clear() {
        sqe.setZero(0, 64);
        writeData = null;
        readBuffer = null;
        readLength = 0;
        status = 0;
        dw0 = 0;
        dw1 = 0;
        return this;
    }

    /** The 64-byte SQE, little-endian, index 0. */
    public ByteBuf sqe() {
        return sqe;
    }

    public HostCommand opcode(int opcode) {
        sqe.setByte(0, opcode);
        return this;
    }

    public int opcode() {
        return sqe.getUnsignedByte(0);
    }

    public HostCommand nsid(int nsid) {
        sqe.setIntLE(4, nsid);
        return this;
    }

    /** Sets command dword {@code n} (10..15). */
    public HostCommand cdw(int n, int value) {
        sqe.setIntLE(4 * n, value);
        return this;
    }

    /** Read (02h) of {@code blocks} blocks at {@code slba} into {@code into} ({@code bytes} long). */
    public HostCommand read(int nsid, long slba, int blocks, ByteBuf into, int bytes) {
        clear().opcode(0x02).nsid(nsid);
        sqe.setLongLE(40, slba);
        sqe.setIntLE(48, blocks - 1);
        return readInto(into, bytes);
    }

    /** Write (01h) of {@code blocks} blocks at {@code slba} from the readable bytes of {@code data}. */
    public HostCommand write(int nsid, long slba, int blocks, ByteBuf data) {
        clear().opcode(0x01).nsid(nsid);
        sqe.setLongLE(40, slba);
        sqe.setIntLE(48, blocks - 1);
        return writeFrom(data);
    }

    /**
     * For a Read, Write or Write Zeroes (SLBA already set) on a namespace formatted with 8 bytes of
     * protection information of type {@code piType} (0: none, nothing changes): what Linux's host
     * sends without metadata support. PRACT, so the controller generates the protection
     * information on writes and checks and strips it on reads and only data travels; the guard
     * checked; for types 1 and 2 also the reference tag, expected to be the low 32 bits of SLBA.
     */
    public HostCommand protectionInformation(int piType) {
        if (piType == 0) {
            return this;
        }
        int prinfo = PRACT | PRCHK_GUARD | (piType == 3 ? 0 : PRCHK_REF);
        sqe.setIntLE(48, sqe.getIntLE(48) | prinfo);
        sqe.setIntLE(56, (int) sqe.getLongLE(40));
        return this;
    }

    /** Host-to-controller data: the readable bytes of {@code data} (not consumed). */
    public HostCommand writeFrom(ByteBuf data) {
        this.writeData = data;
        return this;
    }

    /** Controller-to-host data: {@code length} bytes land at the writer index of {@code into}. */
    public HostCommand readInto(ByteBuf into, int length) {
        this.readBuffer = into;
        this.readLength = length;
        return this;
    }

    public HostCommand onCompletion(HostCompletion completion) {
        this.completion = completion;
        return this;
    }

    public HostCommand context(Object context) {
        this.context = context;
        return this;
    }

    public Object context() {
        return context;
    }

    ByteBuf writeData() {
        return writeData;
    }

    ByteBuf readBuffer() {
        return readBuffer;
    }

    int readLength() {
        return readLength;
    }

    HostCompletion completion() {
        return completion;
    }

    /** An {@link org.k200emu.nvme.NvmeStatus} code (SCT, SC, DNR); 0 is success. */
    public int status() {
        return status;
    }

    public boolean succeeded() {
        return status == 0;
    }

    public int dw0() {
        return dw0;
    }

    public int dw1() {
        return dw1;
    }

    /** When the command was submitted, {@link System#nanoTime()} units. */
    public long submitNanos() {
        return submitNanos;
    }

    void submitted(long nanos) {
        submitNanos = nanos;
        received = 0;
        dataDigestFailed = false;
    }

    void result(int status, int dw0, int dw1) {
        this.status = status;
        this.dw0 = dw0;
        this.dw1 = dw1;
    }
}
