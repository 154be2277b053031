package dip.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Black-box runs of the `dip` command line: help, version, info, a tiny bench, and the exit codes of failures. */
class DipCommandTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = DipCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test void helpListsTheSubcommands() {
        Run r = run("--help");
        assertEquals(ExitCodes.OK, r.code());
        assertTrue(r.out().contains("info") && r.out().contains("bench"), r.out());
    }

    @Test void versionNamesTheProject() {
        Run r = run("--version");
        assertEquals(ExitCodes.OK, r.code());
        assertTrue(r.out().startsWith("dip "), r.out());
    }

    @Test void infoPrintsJvmEngineAndVectorSpecies() {
        Run r = run("info", "--engine", "java", "--threads", "2");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        for (String key : new String[]{"jdk:", "engine:         java", "threads:        2", "vector api:", "max heap:"}) {
            assertTrue(r.out().contains(key), "missing '" + key + "' in:\n" + r.out());
        }
    }

    @Test void infoPresetPrintsThePapersParameterCounts() {
        Run r = run("info", "--engine", "java", "--threads", "1", "--preset", "XL16");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().contains("local_decoder                6,968,067 params in  28 tensors"), r.out());
        assertTrue(r.out().contains("total                    631,989,411 params in 347 tensors"), r.out());
        Run dit = run("info", "--engine", "java", "--threads", "1", "--preset", "XL16", "--head", "DIT_ONLY");
        assertTrue(dit.out().contains("total                    628,563,360 params"), dit.out());
        assertEquals(ExitCodes.BAD_INPUT, run("info", "--preset", "XXL").code());
    }

    @Test void benchKernelsPrintsTheSelectedRows() {
        Run r = run("bench", "kernels", "--engine", "java", "--threads", "1", "--filter", "^mm256\\.fwd|silu\\.fwd",
                "--repeat", "1", "--warmup", "0", "--warmup-ms", "0", "--jit-warmup-ms", "0");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().contains(BenchKernelsCommand.HEADER), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("mm256.fwd") && l.contains("R=256 256->256")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("silu.fwd")), r.out());
        assertFalse(r.out().contains("mm1024"), r.out());
    }

    @Test void badFlagIsBadInputWithAOneLineMessageAndTheUsageHint() {
        Run r = run("info", "--no-such-flag");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals(2, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: Unknown option: '--no-such-flag'") && r.err().contains("dip info --help"), r.err());
        assertEquals(ExitCodes.BAD_INPUT, run("info", "--engine", "cuda").code());
        assertEquals(ExitCodes.BAD_INPUT, run("info", "--threads", "0").code());
    }

    @Test void runtimeFailureIsErrorWithoutStackTraceUnlessVerbose() {
        org.junit.jupiter.api.Assumptions.assumeTrue(!dip.tornado.exec.Engines.tornadoLaunched());
        Run quiet = run("info", "--engine", "tornado");
        assertEquals(ExitCodes.ERROR, quiet.code());
        assertTrue(quiet.err().startsWith("error: ") && quiet.err().contains("TORNADOVM_HOME"), quiet.err());
        assertFalse(quiet.err().contains("\tat "), quiet.err());
        Run verbose = run("info", "--engine", "tornado", "--verbose");
        assertEquals(ExitCodes.ERROR, verbose.code());
        assertTrue(verbose.err().contains("\tat "), verbose.err());
    }
}
