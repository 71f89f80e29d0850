package org.k200emu.nvmeof.target;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.k200emu.nvmeof.tcp.pdu.Crc32c;
import org.k200emu.nvmeof.tcp.pdu.Pdu;
import org.k200emu.nvmeof.tcp.pdu.PduEncoder;
import org.k200emu.nvmeof.tcp.pdu.PduType;

/**
 * A small blocking NVMe/TCP host for tests: one connection (one queue), driven step by step with
 * plain sockets, independent of the target's Netty code. It speaks just enough of the protocol
 * to exercise the target: ICReq, Connect, commands with in-capsule data or R2T/H2CData writes,
 * C2HData reads, digests, and raw bytes for malformed input.
 */
final class TestHost implements AutoCloseable {

    static final String HOST_NQN = "nqn.2014-08.org.k200emu:test-host";
    static final UUID HOST_ID = UUID.fromString("6d1c4bb8-5d5c-4c2e-9c7e-1f0e5b0a1c01");
    static final int IN_CAPSULE_LIMIT = 8192;

    /** A received completion and the data that came with it. */
    record Completion(int status, int dw0, int dw1, int cid, int sqid, byte[] data) {
        int sc() {
            return status & 0xFF;
        }

        int sct() {
            return (status >>> 8) & 0x7;
        }

        boolean dnr() {
            return (status & (1 << 14)) != 0;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final boolean hdgst;
    private final boolean ddgst;
    private int maxH2CData;
    private int qid;
    /** Connect attributes for the next Connect (bit 2: disable SQ flow control). */
    int connectAttributes;
    /** Whether the last completion came as a C2HData SUCCESS flag rather than a response capsule. */
    boolean lastCompletedBySuccessFlag;
    private int nextCid = 1;

    private TestHost(InetSocketAddress address, boolean hdgst, boolean ddgst) throws IOException {
        this.socket = new Socket(address.getAddress(), address.getPort());
        this.socket.setSoTimeout(10_000);
        this.socket.setTcpNoDelay(true);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.hdgst = hdgst;
        this.ddgst = ddgst;
    }

    /** Opens a connection and completes ICReq/ICResp. */
    static TestHost open(InetSocketAddress address, boolean hdgst, boolean ddgst) throws IOException {
        TestHost h = new TestHost(address, hdgst, ddgst);
        ByteBuf icreq = Unpooled.buffer(128);
        PduEncoder.writeIcReq(icreq, 0, hdgst, ddgst, 0);
        h.send(icreq);
        ByteBuf icresp = h.readPdu();
        try {
            if (Pdu.type(icresp) != PduType.ICRESP) {
                throw new IOException("expected ICResp, got " + PduType.name(Pdu.type(icresp)));
            }
            h.maxH2CData = (int) Pdu.IcResp.maxH2CData(icresp);
        } finally {
            icresp.release();
        }
        return h;
    }

    static TestHost open(InetSocketAddress address) throws IOException {
        return open(address, false, false);
    }

    int maxH2CData() {
        return maxH2CData;
    }

    // ---- Commands -----------------------------------------------------------------------

    /** A 64-byte SQE builder, little-endian. */
    static ByteBuffer sqe(int opcode) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) opcode);
        b.put(1, (byte) 0x40); // PSDT 01b: SGL
        return b;
    }

    static ByteBuffer rw(int opcode, int nsid, long slba, int blocks) {
        ByteBuffer b = sqe(opcode);
        b.putInt(4, nsid);
        b.putLong(40, slba);
        b.putInt(48, blocks - 1);
        return b;
    }

    /** Fabrics Connect for {@code qid}; admin when 0 (dynamic controller). */
    Completion connect(String subnqn, int qid, int cntlid, int queueSize, int katoMillis) throws IOException {
        this.qid = qid;
        return connect(subnqn, HOST_NQN, qid, cntlid, queueSize, katoMillis);
    }

    Completion connect(String subnqn, String hostNqn, int qid, int cntlid, int queueSize, int katoMillis)
            throws IOException {
        this.qid = qid;
        ByteBuffer s = sqe(0x7F);
        s.put(4, (byte) 0x01);
        s.putShort(40, (short) 0);
        s.putShort(42, (short) qid);
        s.putShort(44, (short) (queueSize - 1));
        s.put(46, (byte) connectAttributes);
        s.putInt(48, katoMillis);
        byte[] data = new byte[1024];
        ByteBuffer d = ByteBuffer.wrap(data);
        d.putLong(0, HOST_ID.getMostSignificantBits()).putLong(8, HOST_ID.getLeastSignificantBits());
        d.order(ByteOrder.LITTLE_ENDIAN).putShort(16, (short) cntlid);
        byte[] sub = subnqn.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(sub, 0, data, 256, sub.length);
        byte[] host = hostNqn.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(host, 0, data, 512, host.length);
        return execute(s, data, 0);
    }

    Completion propertySet(int offset, long value) throws IOException {
        ByteBuffer s = sqe(0x7F);
        s.put(4, (byte) 0x00);
        s.put(40, (byte) 0);
        s.putInt(44, offset);
        s.putLong(48, value);
        return execute(s, null, 0);
    }

    Completion propertyGet(int offset, int size) throws IOException {
        ByteBuffer s = sqe(0x7F);
        s.put(4, (byte) 0x04);
        s.put(40, (byte) (size == 8 ? 1 : 0));
        s.putInt(44, offset);
        return execute(s, null, 0);
    }

    /** CC.EN with 64-byte SQEs and 16-byte CQEs, then the controller is ready. */
    Completion enable() throws IOException {
        return propertySet(0x14, 1 | 6 << 16 | 4 << 20);
    }

    Completion identify(int cns, int nsid) throws IOException {
        ByteBuffer s = sqe(0x06);
        s.putInt(4, nsid);
        s.putInt(40, cns);
        return execute(s, null, 4096);
    }

    Completion getLogPage(int lid, int length) throws IOException {
        ByteBuffer s = sqe(0x02);
        s.putInt(4, 0xFFFFFFFF);
        s.putInt(40, lid | ((length / 4 - 1) << 16));
        return execute(s, null, length);
    }

    Completion write(int nsid, long slba, byte[] data, int blockSize) throws IOException {
        return execute(rw(0x01, nsid, slba, data.length / blockSize), data, 0);
    }

    Completion read(int nsid, long slba, int blocks, int blockSize) throws IOException {
        return execute(rw(0x02, nsid, slba, blocks), null, blocks * blockSize);
    }

    /**
     * Sends a command and waits for its completion: write data in capsule when it fits, else
     * through R2T/H2CData; {@code readLength} bytes of C2HData expected for reads.
     */
    Completion execute(ByteBuffer sqe, byte[] writeData, int readLength) throws IOException {
        int cid = nextCid++ & 0xFFFF;
        sqe.putShort(2, (short) cid);
        boolean inCapsule = writeData != null && writeData.length <= IN_CAPSULE_LIMIT;
        int length = writeData != null ? writeData.length : readLength;
        sqe.putLong(24, 0);
        sqe.putInt(32, length);
        sqe.put(39, (byte) (inCapsule ? 0x01 : 0x5A));
        ByteBuf capsule = Unpooled.buffer();
        PduEncoder.writeCapsuleCmd(capsule, Unpooled.wrappedBuffer(sqe.array()),
                inCapsule ? Unpooled.wrappedBuffer(writeData) : null, hdgst, ddgst);
        send(capsule);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        while (true) {
            ByteBuf pdu = readPdu();
            try {
                switch (Pdu.type(pdu)) {
                    case PduType.R2T:
                        answerR2T(pdu, writeData);
                        break;
                    case PduType.C2H_DATA: {
                        int at = Pdu.dataIndex(pdu);
                        int n = Pdu.C2HData.dataLength(pdu);
                        byte[] chunk = new byte[n];
                        pdu.getBytes(at, chunk);
                        if (ddgst && Pdu.dataDigest(pdu) != Crc32c.compute(chunk, 0, n)) {
                            throw new IOException("C2HData data digest mismatch");
                        }
                        received.write(chunk);
                        if (Pdu.C2HData.success(pdu)) {
                            lastCompletedBySuccessFlag = true;
                            return new Completion(0, 0, 0, cid, qid, received.toByteArray());
                        }
                        break;
                    }
                    case PduType.CAPSULE_RESP:
                        lastCompletedBySuccessFlag = false;
                        return new Completion(Pdu.CapsuleResp.status(pdu), Pdu.CapsuleResp.dw0(pdu),
                                Pdu.CapsuleResp.dw1(pdu), Pdu.CapsuleResp.cid(pdu), Pdu.CapsuleResp.sqid(pdu),
                                received.toByteArray());
                    default:
                        throw new IOException("unexpected " + PduType.name(Pdu.type(pdu)));
                }
            } finally {
                pdu.release();
            }
        }
    }

    private void answerR2T(ByteBuf r2t, byte[] data) throws IOException {
        int offset = Pdu.R2T.offset(r2t);
        int length = Pdu.R2T.length(r2t);
        int cccid = Pdu.R2T.cccid(r2t);
        int ttag = Pdu.R2T.ttag(r2t);
        int sent = 0;
        while (sent < length) {
            int n = Math.min(length - sent, maxH2CData);
            ByteBuf pdu = Unpooled.buffer();
            ByteBuf chunk = Unpooled.wrappedBuffer(data, offset + sent, n);
            PduEncoder.writeH2CDataHeader(pdu, cccid, ttag, offset + sent, n, sent + n == length, hdgst, ddgst);
            pdu.writeBytes(chunk, chunk.readerIndex(), n);
            if (ddgst) {
                PduEncoder.writeDataDigest(pdu, chunk);
            }
            send(pdu);
            sent += n;
        }
    }

    // ---- Raw access ---------------------------------------------------------------------

    /** Writes the readable bytes of {@code pdu} and releases it. */
    void send(ByteBuf pdu) throws IOException {
        try {
            byte[] bytes = new byte[pdu.readableBytes()];
            pdu.readBytes(bytes);
            out.write(bytes);
            out.flush();
        } finally {
            pdu.release();
        }
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads one whole PDU (common header, then PLEN - 8 bytes) into a heap buffer. */
    ByteBuf readPdu() throws IOException {
        byte[] header = new byte[8];
        in.readFully(header);
        int plen = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        if (plen < 8 || plen > 16 << 20) {
            throw new IOException("bad PLEN " + plen);
        }
        byte[] pdu = new byte[plen];
        System.arraycopy(header, 0, pdu, 0, 8);
        in.readFully(pdu, 8, plen - 8);
        ByteBuf buf = Unpooled.wrappedBuffer(pdu);
        if (hdgst && Pdu.hasHeaderDigest(buf)
                && Pdu.headerDigest(buf) != Crc32c.compute(pdu, 0, Pdu.hlen(buf))) {
            throw new IOException("header digest mismatch");
        }
        return buf;
    }

    /** True if the target closes the connection within the socket timeout (after any pending bytes). */
    boolean closedByPeer() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    int qid() {
        return qid;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
