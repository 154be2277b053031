package dip.cli;

/** Process exit codes of every `dip` command (jbang's BaseCommand). */
public final class ExitCodes {
    private ExitCodes() {
    }

    public static final int OK = 0;
    /** Anything that went wrong at run time. */
    public static final int ERROR = 1;
    /** A bad flag or value on the command line. */
    public static final int BAD_INPUT = 2;
}
