package dip.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;

/**
 * The `dip` command line: the root of every subcommand (info, train, sample, convert, eval, bench, experiment), all in this
 * package.
 * Exit codes are {@link ExitCodes}: a bad flag or value gives BAD_INPUT with a one-line message and the usage
 * hint; other bad input ({@link BadInput}: a corrupt checkpoint, unusable data or output folder) BAD_INPUT with the
 * one-line message alone; any other failure ERROR with a one-line message (the stack trace only with --verbose),
 * running out of heap included.
 */
@Command(name = "dip", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "DiP, the pixel-space diffusion model, in pure Java (CPU Vector API or TornadoVM).",
        subcommands = {InfoCommand.class, TrainCommand.class, SampleCommand.class,
                ConvertCommand.class, EvalCommand.class, BenchCommand.class, ExperimentCommand.class, CommandLine.HelpCommand.class})
public final class DipCommand implements Runnable {

    /** `dip` alone prints the usage. */
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The configured command line (tests call this and set their own out/err writers). */
    public static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    /** The same, with subcommands made by {@code factory} (a cluster task puts in a TrainCommand bound to its rank). */
    public static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cl = new CommandLine(new DipCommand(), factory);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException || e instanceof BadInput
                ? ExitCodes.BAD_INPUT : ExitCodes.ERROR);
        cl.setParameterExceptionHandler(DipCommand::badInput);
        cl.setExecutionExceptionHandler(DipCommand::failed);
        return cl;
    }

    private static int badInput(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("error: " + oneLine(e.getMessage()));
        err.println("try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage");
        return ExitCodes.BAD_INPUT;
    }

    private static int failed(Exception e, CommandLine cmd, ParseResult parsed) {
        if (e instanceof CommandLine.ParameterException pe) return badInput(pe, new String[0]);
        PrintWriter err = cmd.getErr();
        if (e instanceof BadInput) {
            err.println("error: " + oneLine(e.getMessage()));
            if (verbose(parsed)) e.printStackTrace(err);
            err.flush();
            return ExitCodes.BAD_INPUT;
        }
        err.println("error: " + oneLine(e.getMessage() == null ? e.toString() : e.getMessage()));
        if (verbose(parsed)) e.printStackTrace(err);
        else err.println("(run with --verbose for the stack trace)");
        err.flush();
        return ExitCodes.ERROR;
    }

    private static boolean verbose(ParseResult pr) {
        for (; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption("--verbose")) return true;
        }
        return false;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            // An Error, so picocli's handler above never sees it. What was written before stays (checkpoints are
            // written to a temporary file and renamed), so the one thing to say is how to give the JVM more room.
            System.err.println("error: " + heapMessage(Runtime.getRuntime().maxMemory()));
            code = ExitCodes.ERROR;
        }
        System.exit(code);
    }

    /** The one line for a JVM out of heap whose limit is {@code maxBytes}. */
    static String heapMessage(long maxBytes) {
        return "the JVM ran out of heap memory (its limit is " + (maxBytes >> 20) + " MiB): give it more with"
                + " JAVA_OPTS=-Xmx<size> (e.g. JAVA_OPTS=-Xmx20g scripts/dip ...), or use a smaller --batch-size or --preset";
    }
}
