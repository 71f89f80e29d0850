package org.k200emu.nvme.nbd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking NBD client for the tests, written from the protocol document independently of the
 * server: raw handshake steps, option requests, commands and replies, so tests can also send
 * what a correct client never would.
 */
final class NbdTestClient implements AutoCloseable {

    static final long NBDMAGIC = 0x4e42444d41474943L;
    static final long IHAVEOPT = 0x49484156454f5054L;
    static final long REPLY_MAGIC = 0x3e889045565a9L;

    /** One option reply. */
    record OptionReply(int option, int type, byte[] data) {
    }

    /** One simple reply; data only for successful reads. */
    record Reply(int error, long cookie, byte[] data) {
    }

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    int handshakeFlags;
    long exportSize;
    int transmissionFlags;
    int minBlock;
    int preferredBlock;
    int maxBlock;

    NbdTestClient(InetSocketAddress address) throws IOException {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    /** Reads the server greeting and sends the client flags. */
    NbdTestClient greet(int clientFlags) throws IOException {
        if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
            throw new IOException("not a newstyle NBD server");
        }
        handshakeFlags = in.readUnsignedShort();
        out.writeInt(clientFlags);
        out.flush();
        return this;
    }

    void sendOption(int option, byte[] data) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptionReply readOptionReply() throws IOException {
        long magic = in.readLong();
        if (magic != REPLY_MAGIC) {
            throw new IOException("bad option reply magic " + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** Replies up to and including the first that is not NBD_REP_INFO / NBD_REP_SERVER. */
    List<OptionReply> readOptionReplies() throws IOException {
        List<OptionReply> replies = new ArrayList<>();
        OptionReply r;
        do {
            r = readOptionReply();
            replies.add(r);
        } while (r.type() == 2 || r.type() == 3);
        return replies;
    }

    static byte[] infoRequest(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    /** NBD_OPT_GO on {@code name}; records size, flags and block sizes; returns the replies. */
    List<OptionReply> go(String name) throws IOException {
        sendOption(7, infoRequest(name, 3));
        List<OptionReply> replies = readOptionReplies();
        for (OptionReply r : replies) {
            if (r.type() == 3) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(r.data());
                int info = b.getShort() & 0xFFFF;
                if (info == 0) {
                    exportSize = b.getLong();
                    transmissionFlags = b.getShort() & 0xFFFF;
                } else if (info == 3) {
                    minBlock = b.getInt();
                    preferredBlock = b.getInt();
                    maxBlock = b.getInt();
                }
            }
        }
        return replies;
    }

    /** Greets and enters transmission on {@code name} with NBD_OPT_GO; fails if refused. */
    static NbdTestClient connect(InetSocketAddress address, String name) throws IOException {
        NbdTestClient c = new NbdTestClient(address).greet(3);
        List<OptionReply> replies = c.go(name);
        if (replies.get(replies.size() - 1).type() != 1) {
            c.close();
            throw new IOException("NBD_OPT_GO refused: 0x" + Integer.toHexString(replies.get(replies.size() - 1).type()));
        }
        return c;
    }

    void sendRequest(int flags, int type, long cookie, long offset, long length, byte[] data) throws IOException {
        out.writeInt(0x25609513);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt((int) length);
        if (data != null) {
            out.write(data);
        }
        out.flush();
    }

    /** Reads one simple reply; {@code readLength} is the data that follows if it is a successful read. */
    Reply readReply(int readLength) throws IOException {
        int magic = in.readInt();
        if (magic != 0x67446698) {
            throw new IOException("bad reply magic " + Integer.toHexString(magic));
        }
        int error = in.readInt();
        long cookie = in.readLong();
        byte[] data = null;
        if (error == 0 && readLength > 0) {
            data = new byte[readLength];
            in.readFully(data);
        }
        return new Reply(error, cookie, data);
    }

    Reply read(long offset, int length) throws IOException {
        sendRequest(0, 0, 1, offset, length, null);
        return readReply(length);
    }

    Reply write(long offset, byte[] data, int flags) throws IOException {
        sendRequest(flags, 1, 2, offset, data.length, data);
        return readReply(0);
    }

    Reply command(int type, int flags, long offset, long length) throws IOException {
        sendRequest(flags, type, 3, offset, length, null);
        return readReply(0);
    }

    /** True once the server closed the connection (EOF within the socket timeout). */
    boolean closedByServer() throws IOException {
        try {
            InputStream raw = socket.getInputStream();
            byte[] sink = new byte[4096];
            while (raw.read(sink) >= 0) {
                // drain whatever was still sent
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (EOFException | java.net.SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
