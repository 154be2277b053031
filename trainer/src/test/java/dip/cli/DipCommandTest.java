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
        assertTrue(r.out().matches("(?s).*local_decoder +6,968,067 params in +28 tensors.*"), r.out());
        assertTrue(r.out().matches("(?s).*total +631,989,411 params in +347 tensors.*"), r.out());
        Run dit = run("info", "--engine", "java", "--threads", "1", "--preset", "XL16", "--head", "DIT_ONLY");
        assertTrue(dit.out().matches("(?s).*total +628,563,360 params.*"), dit.out());
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

    /** A subcommand that fails at run time, to see the real handlers at work. */
    @CommandLine.Command(name = "boom")
    static final class Boom implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Mixin EngineOptions common;

        @Override public Integer call() { throw new IllegalStateException("disk on fire\nsecond line"); }
    }

    @Test void runtimeFailureIsErrorWithoutStackTraceUnlessVerbose() {
        for (boolean verbose : new boolean[]{false, true}) {
            CommandLine cl = DipCommand.commandLine().addSubcommand("boom", new Boom()).setCaseInsensitiveEnumValuesAllowed(true);
            StringWriter out = new StringWriter(), err = new StringWriter();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int code = verbose ? cl.execute("boom", "--verbose") : cl.execute("boom");
            assertEquals(ExitCodes.ERROR, code, err.toString());
            assertTrue(err.toString().startsWith("error: disk on fire second line"), err.toString());
            assertFalse(err.toString().contains("--help"), err.toString());
            assertEquals(verbose, err.toString().contains("\tat "), err.toString());
        }
    }

    @Test void tornadoWithoutTornadoVmIsBadInputSayingHowToInstallIt() {
        org.junit.jupiter.api.Assumptions.assumeTrue(!dip.tornado.exec.Engines.tornadoLaunched());
        Run r = run("info", "--engine", "tornado");
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("error: --engine tornado needs TornadoVM") && r.err().contains("sdk install tornadovm")
                && r.err().contains("TORNADOVM_HOME"), r.err());
    }

    @Test void infoHasNoSeedAndTheShapeOptionsNeedAPreset() {
        Run seed = run("info", "--seed", "3");
        assertEquals(ExitCodes.BAD_INPUT, seed.code());
        assertTrue(seed.err().startsWith("error: Unknown options: '--seed'"), seed.err());
        Run noPreset = run("info", "--engine", "java", "--hidden", "64");
        assertEquals(ExitCodes.BAD_INPUT, noPreset.code());
        assertTrue(noPreset.err().contains("--hidden change a model's shape: give --preset too"), noPreset.err());
        // the shared shape group: MICRO (D 128, depth 4) with D 64, depth 2, heads 2 and 4-pixel patches
        Run r = run("info", "--engine", "java", "--threads", "1", "--preset", "MICRO", "--hidden", "64", "--depth", "2",
                "--heads", "2", "--patch-size", "4", "--head", "DIT_ONLY");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        String want = new dip.model.DipConfig(32, 4, 1, 64, 2, 2, 10, 16, dip.model.HeadType.DIT_ONLY, false).toString();
        assertTrue(r.out().contains("model:          MICRO " + want), r.out());
        assertTrue(r.out().contains("tokens:         64 (8x8 grid of 4x4 patches)"), r.out());
        Run bad = run("info", "--engine", "java", "--preset", "MICRO", "--heads", "3");    // 128 / 3
        assertEquals(ExitCodes.BAD_INPUT, bad.code(), bad.err());
    }

    @Test void aMissingFileIsBadInputWithoutTheHelpHint() {
        Run r = run("eval", "fd", "--samples", "/no/such/samples.safetensors", "--engine", "java");
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
        assertEquals("error: samples file not found: /no/such/samples.safetensors", r.err().strip());
    }
}
