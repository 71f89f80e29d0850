package org.k200emu.nvme.controller;

import io.netty.buffer.ByteBuf;
import org.k200emu.nvme.AdminOpcode;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.Namespace;

/**
 * The admin command set of one controller: Identify, Get Log Page, Get / Set Features,
 * Asynchronous Event Request, Keep Alive and Abort. Runs on the admin queue's core; the opcode
 * table ({@link AdminOpcode}) decides what exists. A discovery controller accepts the subset the
 * NVMe-oF specification gives it.
 */
final class AdminCommands {

    private static final int CNS_NAMESPACE = 0x00;
    private static final int CNS_CONTROLLER = 0x01;
    private static final int CNS_ACTIVE_NAMESPACES = 0x02;
    private static final int CNS_NS_DESCRIPTORS = 0x03;
    private static final int CNS_CS_NAMESPACE = 0x05;
    private static final int CNS_CS_CONTROLLER = 0x06;
    private static final int CSI_NVM = 0x00;
    private static final int BROADCAST_NSID = 0xFFFFFFFF;

    private final NvmeController c;
    private final LogPages logs;

    AdminCommands(NvmeController controller) {
        this.c = controller;
        this.logs = new LogPages(controller);
    }

    void execute(NvmeRequest req) {
        AdminOpcode op = AdminOpcode.of(req.opcode());
        if (op == null || c.isDiscovery() && !allowedOnDiscovery(op)) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
            return;
        }
        if (req.fuse() != 0) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        switch (op) {
            case IDENTIFY:
                identify(req);
                break;
            case GET_LOG_PAGE:
                logs.get(req);
                break;
            case GET_FEATURES:
                getFeature(req);
                break;
            case SET_FEATURES:
                setFeature(req);
                break;
            case ASYNC_EVENT_REQUEST:
                c.asyncEvents().submit(req);
                break;
            case KEEP_ALIVE:
                c.touch(System.nanoTime());
                c.complete(req, NvmeStatus.SUCCESS);
                break;
            case ABORT:
                // Best effort, as the specification allows: commands here finish quickly, so the
                // answer is always "not aborted" (DW0 bit 0 set).
                req.dw0(1);
                c.complete(req, NvmeStatus.SUCCESS);
                break;
            default:
                c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        }
    }

    private static boolean allowedOnDiscovery(AdminOpcode op) {
        return op != AdminOpcode.ABORT;
    }

    /** Allocates {@code length} bytes of response data, or completes with an SGL length error. */
    private ByteBuf responseBuffer(NvmeRequest req, int length) {
        if (req.transferLength() < length) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
            return null;
        }
        return req.allocator().buffer(length, length);
    }

    // ---- Identify ----------------------------------------------------------------------

    private void identify(NvmeRequest req) {
        int cns = req.cdw(10) & 0xFF;
        int csi = (req.cdw(11) >>> 24) & 0xFF;
        int nsid = req.nsid();
        if (c.isDiscovery() && cns != CNS_CONTROLLER) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        switch (cns) {
            case CNS_CONTROLLER: {
                ByteBuf out = responseBuffer(req, IdentifyData.LENGTH);
                if (out != null) {
                    IdentifyData.controller(c, out);
                    succeed(req, out);
                }
                return;
            }
            case CNS_NAMESPACE: {
                if (nsid == BROADCAST_NSID) {
                    // Common namespace capabilities: the one LBA format every namespace could use.
                    ByteBuf out = responseBuffer(req, IdentifyData.LENGTH);
                    if (out != null) {
                        out.writeZero(IdentifyData.LENGTH);
                        out.setByte(128 + 2, 9);
                        succeed(req, out);
                    }
                    return;
                }
                if (inactiveNsid(nsid)) {
                    // A valid but inactive NSID reads as a zero-filled structure (NVMe Base 1.4, CNS 00h).
                    ByteBuf out = responseBuffer(req, IdentifyData.LENGTH);
                    if (out != null) {
                        out.writeZero(IdentifyData.LENGTH);
                        succeed(req, out);
                    }
                    return;
                }
                Namespace ns = activeNamespace(req);
                if (ns != null) {
                    ByteBuf out = responseBuffer(req, IdentifyData.LENGTH);
                    if (out != null) {
                        IdentifyData.namespace(ns, out);
                        succeed(req, out);
                    }
                }
                return;
            }
            case CNS_ACTIVE_NAMESPACES: {
                // FFFFFFFEh and FFFFFFFFh cannot start a list: Invalid Namespace or Format.
                if (nsid == BROADCAST_NSID || nsid == 0xFFFFFFFE) {
                    c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
                    return;
                }
                ByteBuf out = responseBuffer(req, IdentifyData.LENGTH);
                if (out != null) {
                    IdentifyData.activeNamespaces(c.subsystem(), nsid, out);
                    succeed(req, out);
                }
                return;
            }
            case CNS_NS_DESCRIPTORS: {
                Namespace ns = activeNamespace(req);
                if (ns != null) {
                    ByteBuf out = responseBuffer(req, IdentifyData.LENGTH);
                    if (out != null) {
                        IdentifyData.descriptors(ns, out);
                        succeed(req, out);
                    }
                }
                return;
            }
            case CNS_CS_CONTROLLER:
            case CNS_CS_NAMESPACE: {
                // NVM command set specific structures: no limits beyond MDTS to report (all zero).
                if (csi != CSI_NVM || cns == CNS_CS_NAMESPACE && activeNamespace(req) == null) {
                    if (csi != CSI_NVM) {
                        c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                    }
                    return;
                }
                ByteBuf out = responseBuffer(req, IdentifyData.LENGTH);
                if (out != null) {
                    out.writeZero(IdentifyData.LENGTH);
                    succeed(req, out);
                }
                return;
            }
            default:
                c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        }
    }

    /** A valid NSID (1..NN) with no active namespace behind it. */
    private boolean inactiveNsid(int nsid) {
        int nn = Math.max(c.subsystem().maxNsid(), 1);
        return nsid != 0 && Integer.compareUnsigned(nsid, nn) <= 0 && c.subsystem().namespace(nsid) == null;
    }

    /** The namespace the command names, or null after completing it with Invalid Namespace. */
    private Namespace activeNamespace(NvmeRequest req) {
        Namespace ns = req.nsid() == 0 || req.nsid() == BROADCAST_NSID ? null : c.subsystem().namespace(req.nsid());
        if (ns == null) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
        }
        return ns;
    }

    private void succeed(NvmeRequest req, ByteBuf data) {
        req.data(data);
        c.complete(req, NvmeStatus.SUCCESS);
    }

    // ---- Features ----------------------------------------------------------------------

    private static final int SEL_CURRENT = 0;
    private static final int SEL_DEFAULT = 1;
    private static final int SEL_SAVED = 2;
    private static final int SEL_SUPPORTED = 3;
    /** Supported capabilities: changeable (bit 2); none saveable or namespace specific. */
    private static final int CAPS_CHANGEABLE = 1 << 2;

    private void getFeature(NvmeRequest req) {
        int fid = req.cdw(10) & 0xFF;
        int sel = (req.cdw(10) >>> 8) & 0x7;
        Features f = c.features();
        if (!featureExists(fid)) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        if (sel == SEL_SUPPORTED) {
            req.dw0(CAPS_CHANGEABLE);
            c.complete(req, NvmeStatus.SUCCESS);
            return;
        }
        if (sel > SEL_SUPPORTED) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        boolean current = sel == SEL_CURRENT;
        int value;
        switch (fid) {
            case Features.ARBITRATION:
                value = current ? f.arbitration : 0;
                break;
            case Features.POWER_MANAGEMENT:
                value = 0;
                break;
            case Features.TEMPERATURE_THRESHOLD: {
                int thsel = (req.cdw(11) >>> 20) & 0x3;
                int tmpsel = (req.cdw(11) >>> 16) & 0xF;
                if (tmpsel != 0 || thsel > 1) {
                    c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                    return;
                }
                if (thsel == 0) {
                    value = current ? f.overTemperature : Features.DEFAULT_OVER_TEMP;
                } else {
                    value = current ? f.underTemperature : 0;
                }
                break;
            }
            case Features.ERROR_RECOVERY:
                value = current ? f.errorRecovery : 0;
                break;
            case Features.VOLATILE_WRITE_CACHE:
                value = (current ? f.writeCacheEnabled : f.volatileCachePresent()) ? 1 : 0;
                break;
            case Features.NUMBER_OF_QUEUES: {
                int n = (current ? f.grantedIoQueues() : f.maxIoQueues()) - 1;
                value = n | n << 16;
                break;
            }
            case Features.ASYNC_EVENT_CONFIG:
                value = current ? f.asyncEventConfig : 0;
                break;
            case Features.KEEP_ALIVE_TIMER:
                value = current ? f.kato() : 0;
                break;
            default:
                c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                return;
        }
        req.dw0(value);
        c.complete(req, NvmeStatus.SUCCESS);
    }

    private boolean featureExists(int fid) {
        switch (fid) {
            case Features.ASYNC_EVENT_CONFIG:
            case Features.KEEP_ALIVE_TIMER:
                return true;
            case Features.VOLATILE_WRITE_CACHE:
                return !c.isDiscovery() && c.features().volatileCachePresent();
            case Features.ARBITRATION:
            case Features.POWER_MANAGEMENT:
            case Features.TEMPERATURE_THRESHOLD:
            case Features.ERROR_RECOVERY:
            case Features.NUMBER_OF_QUEUES:
                return !c.isDiscovery();
            default:
                return false;
        }
    }

    private void setFeature(NvmeRequest req) {
        int fid = req.cdw(10) & 0xFF;
        boolean save = (req.cdw(10) >>> 31) != 0;
        int v = req.cdw(11);
        Features f = c.features();
        if (!featureExists(fid)) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        if (save) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.FEATURE_NOT_SAVEABLE));
            return;
        }
        switch (fid) {
            case Features.ARBITRATION:
                f.arbitration = v;
                break;
            case Features.POWER_MANAGEMENT:
                if ((v & 0x1F) != 0) {
                    c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                    return;
                }
                break;
            case Features.TEMPERATURE_THRESHOLD: {
                int thsel = (v >>> 20) & 0x3;
                int tmpsel = (v >>> 16) & 0xF;
                if (tmpsel != 0 || thsel > 1) {
                    c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                    return;
                }
                if (thsel == 0) {
                    f.overTemperature = v & 0xFFFF;
                } else {
                    f.underTemperature = v & 0xFFFF;
                }
                break;
            }
            case Features.ERROR_RECOVERY:
                f.errorRecovery = v & 0xFFFF;
                break;
            case Features.VOLATILE_WRITE_CACHE:
                f.writeCacheEnabled = (v & 1) != 0;
                break;
            case Features.NUMBER_OF_QUEUES: {
                int nsqr = v & 0xFFFF;
                int ncqr = v >>> 16;
                if (nsqr == 0xFFFF || ncqr == 0xFFFF) {
                    c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                    return;
                }
                int granted = f.requestIoQueues(Math.min(nsqr, ncqr) + 1) - 1;
                req.dw0(granted | granted << 16);
                break;
            }
            case Features.ASYNC_EVENT_CONFIG:
                f.asyncEventConfig = v & Features.SUPPORTED_AEN;
                break;
            case Features.KEEP_ALIVE_TIMER:
                f.kato(v);
                break;
            default:
                c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                return;
        }
        c.complete(req, NvmeStatus.SUCCESS);
    }
}
