/**
 * The NVMe/TCP PDU codec: wire constants ({@link org.k200emu.nvmeof.tcp.pdu.PduType},
 * {@link org.k200emu.nvmeof.tcp.pdu.PduFlags}, {@link org.k200emu.nvmeof.tcp.pdu.TermReqStatus}),
 * flyweight field accessors over a received PDU ({@link org.k200emu.nvmeof.tcp.pdu.Pdu}), the
 * stream framer and validator ({@link org.k200emu.nvmeof.tcp.pdu.PduDecoder}), the writers
 * ({@link org.k200emu.nvmeof.tcp.pdu.PduEncoder}) and the CRC32C digest
 * ({@link org.k200emu.nvmeof.tcp.pdu.Crc32c}).
 *
 * <p>Reference: NVM Express TCP Transport Specification 1.0 (formerly TP 8000), section 3.6
 * (PDU formats). All multi-byte fields are little-endian. The connection logic in
 * {@code org.k200emu.nvmeof.tcp} owns one decoder per socket and calls the encoder statically.
 */
package org.k200emu.nvmeof.tcp.pdu;
