package org.k200emu.nvmeof.target;

import io.netty.buffer.ByteBuf;

/**
 * The Fabrics command set (opcode 7Fh, NVMe-oF 1.1 section 3): the command types and the SQE
 * field offsets the target reads. Constants only.
 */
final class FabricsCommand {

    static final int OPCODE = 0x7F;

    static final int PROPERTY_SET = 0x00;
    static final int CONNECT = 0x01;
    static final int PROPERTY_GET = 0x04;
    static final int AUTHENTICATION_SEND = 0x05;
    static final int AUTHENTICATION_RECEIVE = 0x06;
    static final int DISCONNECT = 0x08;

    /** FCTYPE: SQE byte 4. */
    static final int FCTYPE_OFFSET = 4;
    /** Property Get/Set ATTRIB (byte 40): bits 2:0 size, 0 = 4 bytes, 1 = 8 bytes. */
    static final int ATTRIB_OFFSET = 40;
    /** Property Get/Set OFST (bytes 44-47): register offset. */
    static final int PROPERTY_OFFSET = 44;
    /** Property Set VALUE (bytes 48-55). */
    static final int PROPERTY_VALUE = 48;

    private FabricsCommand() {
    }

    static int fctype(ByteBuf sqe) {
        return sqe.getUnsignedByte(FCTYPE_OFFSET);
    }

    /** Property size in bytes from ATTRIB, or -1 when reserved. */
    static int propertySize(ByteBuf sqe) {
        int attrib = sqe.getUnsignedByte(ATTRIB_OFFSET) & 0x7;
        return attrib == 0 ? 4 : attrib == 1 ? 8 : -1;
    }

    /** Data direction of a fabrics command type: bits 1:0 as for opcodes (01b host to controller). */
    static int direction(int fctype) {
        return fctype & 0x3;
    }

    static String name(int fctype) {
        switch (fctype) {
            case PROPERTY_SET:
                return "Property Set";
            case CONNECT:
                return "Connect";
            case PROPERTY_GET:
                return "Property Get";
            case AUTHENTICATION_SEND:
                return "Authentication Send";
            case AUTHENTICATION_RECEIVE:
                return "Authentication Receive";
            case DISCONNECT:
                return "Disconnect";
            default:
                return "fabrics type " + Integer.toHexString(fctype) + "h";
        }
    }
}
