package org.k200emu.cli;

import picocli.CommandLine;

/** {@code k200 --version}: the build's version, from the jar manifest when packaged. */
public final class Version implements CommandLine.IVersionProvider {

    /** The version, or "(development build)" when not run from the packaged jar. */
    public static String current() {
        String v = K200.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"k200-emu " + current(),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
    }
}
