package org.k200emu.bdev;

import java.util.List;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;

/**
 * Makes the services that take several settings (QoS, RAID, erasure coding, dedup) from their configuration. Kept apart from
 * {@link BdevRegistry} so each service's factory signature lives in one place.
 */
final class ServiceFactories {

    private ServiceFactories() {
    }

    static Bdev make(CardConfig.BdevConfig b, List<Bdev> members, String path) {
        java.util.Map<String, String> s = b.service().settings();
        switch (b.type()) {
            case "qos":
                return org.k200emu.bdev.qos.QosBdev.create(b.name(), members.get(0),
                        new org.k200emu.bdev.qos.QosLimits(Long.parseLong(s.get("iops")),
                                Long.parseLong(s.get("bandwidth"))), qosClasses(b));
            case "raid":
                return org.k200emu.bdev.raid.RaidBdev.assemble(b.name(), Integer.parseInt(s.get("level")), members,
                        stripBytes(s, path));
            case "dedup":
                return org.k200emu.bdev.dedup.DedupBdev.create(b.name(), members.get(0));
            case "ec":
                return org.k200emu.bdev.ec.EcBdev.create(b.name(), Integer.parseInt(s.get("k")),
                        Integer.parseInt(s.get("m")), members, stripBytes(s, path));
            default:
                throw new ConfigException(path + ".type", "bdev type '" + b.type() + "' is not available in this build");
        }
    }

    /** The configured classes (the parser always includes the default one). */
    private static List<org.k200emu.bdev.qos.QosClass> qosClasses(CardConfig.BdevConfig b) {
        List<org.k200emu.bdev.qos.QosClass> out = new java.util.ArrayList<>();
        for (CardConfig.QosClassConfig c : b.service().qosClasses()) {
            out.add(new org.k200emu.bdev.qos.QosClass(c.name(), c.weight(),
                    new org.k200emu.bdev.qos.QosLimits(c.iops(), c.bandwidth()), c.hosts()));
        }
        if (out.isEmpty()) {
            out.add(new org.k200emu.bdev.qos.QosClass(org.k200emu.bdev.qos.QosClass.DEFAULT, 1));
        }
        return out;
    }

    private static int stripBytes(java.util.Map<String, String> s, String path) {
        long strip = Long.parseLong(s.get("stripSize"));
        if (strip <= 0 || strip > (16 << 20)) {
            throw new ConfigException(path + ".stripSize", "must be between 1 block and 16MiB, not " + strip);
        }
        return (int) strip;
    }
}
