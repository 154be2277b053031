package dip.cli;

import picocli.CommandLine.IVersionProvider;

/** `dip --version`: the project version from the jar manifest (Implementation-Version), plus the JVM running it. */
public final class Version implements IVersionProvider {
    /** The version written by the build, or "dev" when run from classes (no jar manifest). */
    public static String project() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[]{"dip " + project(),
                "JVM: " + System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }
}
