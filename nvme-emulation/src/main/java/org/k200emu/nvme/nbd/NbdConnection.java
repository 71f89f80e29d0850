package org.k200emu.nvme.nbd;

import static org.k200emu.nvme.nbd.NbdProtocol.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.cluster.SimCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NBD connection, run entirely on the event loop that accepted it: the fixed-newstyle
 * handshake and option haggling, then transmission. Each command takes a preallocated
 * {@link Slot} (one {@link BdevIo} each, at most {@link #MAX_SLOTS} in flight; past that the
 * connection stops reading until one frees), write data is a retained slice of the received
 * bytes, read data goes into the pooled reply buffer behind the reply header, and replies are
 * flushed once per read batch or loop turn. Completions come back on the connection's
 * data-plane core, which runs on this same thread.
 *
 * <p>Bad requests (unknown command or flag, misaligned or out-of-range, too long, write to a
 * read-only export) get a simple reply with the NBD error the protocol asks for; a malformed
 * message (bad magic, unknown client flag, oversized option, unknown export in
 * NBD_OPT_EXPORT_NAME) ends only this connection.
 */
final class NbdConnection extends ByteToMessageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(NbdConnection.class);

    /** Requests one connection may have in flight; QEMU keeps at most 16, Linux' nbd up to 128. */
    static final int MAX_SLOTS = 128;
    /** Largest READ or WRITE payload (NBD_INFO_BLOCK_SIZE maximum). */
    static final int MAX_PAYLOAD = 32 << 20;
    /** Largest option a client may send: a 4096-byte name plus its information requests. */
    static final int MAX_OPTION_LENGTH = 8192;

    private static final int KNOWN_FLAGS = CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_DF | CMD_FLAG_REQ_ONE
            | CMD_FLAG_FAST_ZERO;

    private enum State {
        CLIENT_FLAGS,
        OPTIONS,
        TRANSMISSION,
        /** Skipping the payload of a rejected write. */
        DISCARD_PAYLOAD,
        /** NBD_CMD_DISC or server shutdown: requests in flight finish, then the connection closes. */
        DISCONNECTING,
        CLOSED
    }

    private final NbdServer server;
    private final Slot[] freeSlots = new Slot[MAX_SLOTS];
    private int freeCount;
    private int slotsCreated;
    private final Runnable flushTask = this::flushNow;
    private final Runnable resumeTask = this::resume;

    private ChannelHandlerContext ctx;
    private State state = State.CLIENT_FLAGS;
    private boolean noZeroes;
    private NbdExport export;
    private Bdev bdev;
    private int blockSize;
    private long sizeBytes;
    private int transmissionFlags;
    private SimCore core;

    private int inFlight;
    private long discardRemaining;
    private boolean paused;
    private boolean inRead;
    private boolean flushPending;
    private boolean flushScheduled;
    /** Commands answered (statistics; read racily by other threads). */
    private long commands;

    NbdConnection(NbdServer server) {
        this.server = server;
    }

    long commandsCompleted() {
        return commands;
    }

    ChannelFuture closeFuture() {
        return ctx.channel().closeFuture();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        core = server.placeCore(ctx.channel().eventLoop());
        server.connectionOpened(this);
        ctx.channel().closeFuture().addListener(f -> server.connectionClosed(this));
        ByteBuf hello = ctx.alloc().buffer(18);
        hello.writeLong(NBDMAGIC).writeLong(IHAVEOPT).writeShort(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        ctx.writeAndFlush(hello, ctx.voidPromise());
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        inRead = true;
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        inRead = false;
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        super.channelReadComplete(ctx);
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        // The connection is gone: what is left unread starts nothing.
        state = State.CLOSED;
        in.skipBytes(in.readableBytes());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.warn("{}: {}; closing", this, cause.toString());
        state = State.CLOSED;
        ctx.close();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        boolean progress = true;
        while (progress && in.isReadable()) {
            switch (state) {
                case CLIENT_FLAGS:
                    progress = clientFlags(in);
                    break;
                case OPTIONS:
                    progress = option(in);
                    break;
                case TRANSMISSION:
                    progress = request(in);
                    break;
                case DISCARD_PAYLOAD:
                    int n = (int) Math.min(in.readableBytes(), discardRemaining);
                    in.skipBytes(n);
                    discardRemaining -= n;
                    if (discardRemaining == 0) {
                        state = State.TRANSMISSION;
                    }
                    break;
                case DISCONNECTING:
                case CLOSED:
                default:
                    // Nothing after NBD_CMD_DISC counts.
                    in.skipBytes(in.readableBytes());
                    progress = false;
                    break;
            }
        }
    }

    // ---- Handshake ----------------------------------------------------------------------

    private boolean clientFlags(ByteBuf in) {
        if (in.readableBytes() < 4) {
            return false;
        }
        long flags = in.readUnsignedInt();
        if ((flags & ~(long) (FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            malformed(in, "unknown client flags 0x" + Long.toHexString(flags));
            return false;
        }
        noZeroes = (flags & FLAG_C_NO_ZEROES) != 0;
        state = State.OPTIONS;
        return true;
    }

    private boolean option(ByteBuf in) {
        if (in.readableBytes() < OPTION_HEADER) {
            return false;
        }
        int r = in.readerIndex();
        if (in.getLong(r) != IHAVEOPT) {
            malformed(in, "bad option magic 0x" + Long.toHexString(in.getLong(r)));
            return false;
        }
        int option = in.getInt(r + 8);
        long length = in.getUnsignedInt(r + 12);
        if (length > MAX_OPTION_LENGTH) {
            malformed(in, "option " + option + " of " + length + " bytes (at most " + MAX_OPTION_LENGTH + ")");
            return false;
        }
        if (in.readableBytes() < OPTION_HEADER + length) {
            return false;
        }
        in.skipBytes(OPTION_HEADER);
        ByteBuf data = in.readSlice((int) length);
        switch (option) {
            case OPT_EXPORT_NAME:
                exportName(data);
                break;
            case OPT_ABORT:
                optionReply(option, REP_ACK, null);
                ctx.flush();
                state = State.CLOSED;
                ctx.close();
                break;
            case OPT_LIST:
                list(option, data);
                break;
            case OPT_INFO:
            case OPT_GO:
                infoOrGo(option, data);
                break;
            default:
                // STARTTLS, structured replies, metadata contexts, extended headers and unknown
                // options: the client carries on without them.
                optionReply(option, REP_ERR_UNSUP, "option " + option + " is not supported by k200");
                break;
        }
        ctx.flush();
        return state != State.CLOSED;
    }

    private void exportName(ByteBuf data) {
        String name = data.toString(StandardCharsets.UTF_8);
        NbdExport e = server.export(name);
        if (e == null) {
            // NBD_OPT_EXPORT_NAME has no error reply: the protocol says to end the session.
            LOG.warn("{}: no export named '{}'; closing", this, name);
            state = State.CLOSED;
            ctx.close();
            return;
        }
        select(e);
        ByteBuf reply = ctx.alloc().buffer(10 + (noZeroes ? 0 : 124));
        reply.writeLong(sizeBytes).writeShort(transmissionFlags);
        if (!noZeroes) {
            reply.writeZero(124);
        }
        ctx.write(reply, ctx.voidPromise());
        state = State.TRANSMISSION;
    }

    private void list(int option, ByteBuf data) {
        if (data.isReadable()) {
            optionReply(option, REP_ERR_INVALID, "NBD_OPT_LIST carries no data");
            return;
        }
        for (NbdExport e : server.exports()) {
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            ByteBuf payload = ctx.alloc().buffer(4 + name.length);
            payload.writeInt(name.length).writeBytes(name);
            optionReply(option, REP_SERVER, payload);
        }
        optionReply(option, REP_ACK, null);
    }

    private void infoOrGo(int option, ByteBuf data) {
        if (data.readableBytes() < 6) {
            optionReply(option, REP_ERR_INVALID, "option too short");
            return;
        }
        long nameLength = data.readUnsignedInt();
        if (nameLength > data.readableBytes() - 2) {
            optionReply(option, REP_ERR_INVALID, "export name length " + nameLength + " exceeds the option");
            return;
        }
        String name = data.readCharSequence((int) nameLength, StandardCharsets.UTF_8).toString();
        int requests = data.readUnsignedShort();
        if (data.readableBytes() != 2 * requests) {
            optionReply(option, REP_ERR_INVALID, "option length does not match " + requests + " information requests");
            return;
        }
        boolean wantName = false;
        boolean wantDescription = false;
        for (int i = 0; i < requests; i++) {
            int type = data.readUnsignedShort();
            wantName |= type == INFO_NAME;
            wantDescription |= type == INFO_DESCRIPTION;
        }
        NbdExport e = server.export(name);
        if (e == null) {
            optionReply(option, REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return;
        }
        ByteBuf info = ctx.alloc().buffer(12);
        info.writeShort(INFO_EXPORT).writeLong(e.sizeBytes()).writeShort(e.transmissionFlags());
        optionReply(option, REP_INFO, info);
        if (wantName) {
            byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
            optionReply(option, REP_INFO, ctx.alloc().buffer(2 + n.length).writeShort(INFO_NAME).writeBytes(n));
        }
        if (wantDescription) {
            byte[] d = ("k200 bdev " + e.bdev().name() + " (" + e.bdev().module() + ")")
                    .getBytes(StandardCharsets.UTF_8);
            optionReply(option, REP_INFO, ctx.alloc().buffer(2 + d.length).writeShort(INFO_DESCRIPTION).writeBytes(d));
        }
        // Always sent: requests must be whole blocks of the bdev (others get EINVAL).
        int bs = e.bdev().blockSize();
        ByteBuf sizes = ctx.alloc().buffer(14);
        sizes.writeShort(INFO_BLOCK_SIZE).writeInt(bs).writeInt(Math.max(bs, 4096)).writeInt(MAX_PAYLOAD);
        optionReply(option, REP_INFO, sizes);
        optionReply(option, REP_ACK, null);
        if (option == OPT_GO) {
            select(e);
            state = State.TRANSMISSION;
        }
    }

    private void select(NbdExport e) {
        export = e;
        bdev = e.bdev();
        blockSize = bdev.blockSize();
        sizeBytes = e.sizeBytes();
        transmissionFlags = e.transmissionFlags();
        LOG.debug("{}: export {} selected", this, e.name());
    }

    /** Writes an option reply; {@code payload} (released here) or an error message may be null. */
    private void optionReply(int option, int type, Object payload) {
        ByteBuf data = payload instanceof ByteBuf ? (ByteBuf) payload
                : payload instanceof String ? Unpooled.copiedBuffer((String) payload, StandardCharsets.UTF_8) : null;
        int length = data == null ? 0 : data.readableBytes();
        ByteBuf reply = ctx.alloc().buffer(20 + length);
        reply.writeLong(OPTION_REPLY_MAGIC).writeInt(option).writeInt(type).writeInt(length);
        if (data != null) {
            reply.writeBytes(data);
            data.release();
        }
        ctx.write(reply, ctx.voidPromise());
    }

    // ---- Transmission -------------------------------------------------------------------

    private boolean request(ByteBuf in) {
        if (in.readableBytes() < REQUEST_HEADER) {
            return false;
        }
        int r = in.readerIndex();
        if (in.getInt(r) != REQUEST_MAGIC) {
            malformed(in, "bad request magic 0x" + Integer.toHexString(in.getInt(r)));
            return false;
        }
        int flags = in.getUnsignedShort(r + 4);
        int type = in.getUnsignedShort(r + 6);
        long cookie = in.getLong(r + 8);
        long offset = in.getLong(r + 16);
        long length = in.getUnsignedInt(r + 24);
        if (type == CMD_DISC) {
            in.skipBytes(REQUEST_HEADER);
            LOG.debug("{}: client disconnects", this);
            drain();
            return false;
        }
        int error = check(type, flags, offset, length);
        if (error != 0) {
            in.skipBytes(REQUEST_HEADER);
            send(simpleReply(cookie, error));
            if (type == CMD_WRITE && length > 0) {
                discardRemaining = length;
                state = State.DISCARD_PAYLOAD;
            }
            return true;
        }
        if (type == CMD_WRITE && in.readableBytes() < REQUEST_HEADER + length) {
            return false;
        }
        if (length == 0 && type != CMD_FLUSH
                || type == CMD_FLUSH && !bdev.hasVolatileWriteCache()) {
            // Nothing to move, or nothing volatile to make stable: done at once.
            in.skipBytes(REQUEST_HEADER);
            send(simpleReply(cookie, 0));
            return true;
        }
        Slot slot = acquire();
        if (slot == null) {
            // Every slot is busy: stop reading until one frees (resume() decodes the rest).
            paused = true;
            ctx.channel().config().setAutoRead(false);
            return false;
        }
        in.skipBytes(REQUEST_HEADER);
        ByteBuf payload = type == CMD_WRITE ? in.readRetainedSlice((int) length) : null;
        slot.start(type, flags, cookie, offset, length, payload);
        return true;
    }

    /** 0 if the request may go to the bdev, else the NBD error to answer it with. */
    private int check(int type, int flags, long offset, long length) {
        if ((flags & ~KNOWN_FLAGS) != 0) {
            return EINVAL;
        }
        // DF and FAST_ZERO are not advertised; REQ_ONE is for BLOCK_STATUS only; NO_HOLE for WRITE_ZEROES.
        if ((flags & (CMD_FLAG_DF | CMD_FLAG_FAST_ZERO | CMD_FLAG_REQ_ONE)) != 0) {
            return EINVAL;
        }
        if ((flags & CMD_FLAG_NO_HOLE) != 0 && type != CMD_WRITE_ZEROES) {
            return EINVAL;
        }
        switch (type) {
            case CMD_READ:
            case CMD_WRITE:
                break;
            case CMD_FLUSH:
                return 0;
            case CMD_TRIM:
                if ((transmissionFlags & FLAG_SEND_TRIM) == 0) {
                    return EINVAL;
                }
                break;
            case CMD_WRITE_ZEROES:
                if ((transmissionFlags & FLAG_SEND_WRITE_ZEROES) == 0) {
                    return EINVAL;
                }
                break;
            default:
                // CACHE, BLOCK_STATUS (no metadata context), RESIZE and unknown commands.
                return EINVAL;
        }
        boolean modifies = type != CMD_READ;
        if (modifies && export.readOnly()) {
            return EPERM;
        }
        if (offset < 0 || offset > sizeBytes || length > sizeBytes - offset) {
            return type == CMD_WRITE || type == CMD_WRITE_ZEROES ? ENOSPC : EINVAL;
        }
        if (offset % blockSize != 0 || length % blockSize != 0) {
            return EINVAL;
        }
        if ((type == CMD_READ || type == CMD_WRITE) && length > MAX_PAYLOAD) {
            return EINVAL;
        }
        return 0;
    }

    private ByteBuf simpleReply(long cookie, int error) {
        ByteBuf reply = ctx.alloc().directBuffer(SIMPLE_REPLY_HEADER);
        reply.writeInt(SIMPLE_REPLY_MAGIC).writeInt(error).writeLong(cookie);
        return reply;
    }

    /** Queues a reply (ownership passes to the channel) and arranges its flush. */
    private void send(ByteBuf reply) {
        commands++;
        ctx.write(reply, ctx.voidPromise());
        if (inRead) {
            flushPending = true;
        } else if (!flushScheduled) {
            flushScheduled = true;
            ctx.channel().eventLoop().execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        ctx.flush();
    }

    private Slot acquire() {
        if (freeCount > 0) {
            return freeSlots[--freeCount];
        }
        if (slotsCreated < MAX_SLOTS) {
            slotsCreated++;
            return new Slot();
        }
        return null;
    }

    private void finished(Slot slot) {
        freeSlots[freeCount++] = slot;
        inFlight--;
        if (state == State.DISCONNECTING && inFlight == 0) {
            ctx.flush();
            state = State.CLOSED;
            ctx.close();
        } else if (paused) {
            ctx.channel().eventLoop().execute(resumeTask);
        }
    }

    /** A slot freed after the connection stopped reading: decode what was held back, read again. */
    private void resume() {
        if (!paused || state == State.CLOSED) {
            return;
        }
        paused = false;
        ctx.channel().config().setAutoRead(true);
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
            channelReadComplete(ctx);
        } catch (Exception e) {
            exceptionCaught(ctx, e);
        }
    }

    /**
     * NBD_CMD_DISC or server shutdown: no new requests, those in flight are answered, then the
     * connection closes. Safe from any thread.
     */
    void drain() {
        if (!ctx.channel().eventLoop().inEventLoop()) {
            ctx.channel().eventLoop().execute(this::drain);
            return;
        }
        if (state == State.CLOSED || state == State.DISCONNECTING) {
            return;
        }
        boolean transmitting = state == State.TRANSMISSION || state == State.DISCARD_PAYLOAD;
        state = State.DISCONNECTING;
        if (!transmitting || inFlight == 0) {
            ctx.flush();
            state = State.CLOSED;
            ctx.close();
        }
    }

    private void malformed(ByteBuf in, String reason) {
        LOG.warn("{}: malformed NBD message: {}; closing the connection", this, reason);
        in.skipBytes(in.readableBytes());
        state = State.CLOSED;
        ctx.close();
    }

    @Override
    public String toString() {
        return "NBD connection " + (ctx == null ? "?" : ctx.channel().remoteAddress())
                + (export == null ? "" : " (" + export.name() + ")");
    }

    private static int errorOf(int status, int type) {
        switch (status) {
            case BdevStatus.SUCCESS:
                return 0;
            case BdevStatus.OUT_OF_RANGE:
                return type == CMD_WRITE || type == CMD_WRITE_ZEROES ? ENOSPC : EINVAL;
            case BdevStatus.UNSUPPORTED:
                return ENOTSUP;
            case BdevStatus.BAD_BUFFER:
                return EINVAL;
            case BdevStatus.ABORTED:
                return ESHUTDOWN;
            case BdevStatus.MEDIA_ERROR:
            case BdevStatus.PATH_ERROR:
            default:
                return EIO;
        }
    }

    /** One request in flight, reused: its BdevIo, the write payload or the read reply buffer. */
    private final class Slot implements BdevCompletion {
        private final BdevIo io = new BdevIo();
        private int type;
        private boolean fua;
        private boolean flushing;
        private long cookie;
        private ByteBuf payload;
        private ByteBuf reply;

        void start(int type, int flags, long cookie, long offset, long length, ByteBuf payload) {
            this.type = type;
            this.cookie = cookie;
            this.fua = (flags & CMD_FLAG_FUA) != 0;
            this.flushing = false;
            this.payload = payload;
            long lba = offset / blockSize;
            long blocks = length / blockSize;
            inFlight++;
            switch (type) {
                case CMD_READ:
                    reply = ctx.alloc().directBuffer(SIMPLE_REPLY_HEADER + (int) length);
                    reply.writeInt(SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(cookie);
                    io.prepare(BdevOp.READ, lba, blocks, reply, core, this, null);
                    break;
                case CMD_WRITE:
                    io.prepare(BdevOp.WRITE, lba, blocks, payload, core, this, null);
                    break;
                case CMD_TRIM:
                    io.prepare(BdevOp.UNMAP, lba, blocks, null, core, this, null);
                    break;
                case CMD_WRITE_ZEROES:
                    io.prepare(BdevOp.WRITE_ZEROES, lba, blocks, null, core, this, null);
                    break;
                case CMD_FLUSH:
                default:
                    io.prepare(BdevOp.FLUSH, 0, 0, null, core, this, null);
                    break;
            }
            bdev.submit(io);
        }

        @Override
        public void bdevIoDone(BdevIo done) {
            int status = done.status();
            if (status == BdevStatus.SUCCESS && fua && !flushing && type != CMD_READ && type != CMD_FLUSH
                    && bdev.hasVolatileWriteCache()) {
                // FUA: the reply waits until the data is stable.
                flushing = true;
                io.prepare(BdevOp.FLUSH, 0, 0, null, core, this, null);
                bdev.submit(io);
                return;
            }
            if (payload != null) {
                payload.release();
                payload = null;
            }
            int error = errorOf(status, type);
            if (error != 0 && status != BdevStatus.OUT_OF_RANGE) {
                LOG.warn("{}: {} failed: {} (NBD error {})", NbdConnection.this, commandName(type),
                        BdevStatus.name(status), error);
            }
            ByteBuf out;
            if (type == CMD_READ) {
                out = reply;
                reply = null;
                if (error != 0) {
                    out.setInt(4, error);
                    out.writerIndex(SIMPLE_REPLY_HEADER);
                }
            } else {
                out = simpleReply(cookie, error);
            }
            send(out);
            finished(this);
        }
    }
}
