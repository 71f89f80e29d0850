package org.k200emu.cli;

import picocli.CommandLine;

/** {@code k200 --version}: the build's version, from the jar manifest when packaged. */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = K200.class.getPackage().getImplementationVersion();
        return new String[] {"k200-emu " + (v == null ? "(development build)" : v),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
    }
}
