package dip.tornado.exec;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's fast paths give the same bits whatever the JIT has done: {@link EngineDigest} runs in two fresh JVMs,
 * one that never leaves C1 (the Vector API's Java fallback, lane by lane) and one that compiles this package with C2
 * after a few dozen calls and waits for each compilation (C2's intrinsics, e.g. its own order for a lane reduction),
 * and on 1 and 2 threads in each. Every digest must agree within a JVM (first vs later repetitions, 1 vs 2 threads)
 * and across the two.
 */
class JitIndependenceTest {
    static final List<String> C1_ONLY = List.of("-XX:TieredStopAtLevel=1");
    static final List<String> C2_EARLY = List.of("-XX:CompileCommand=quiet",
            "-XX:CompileCommand=CompileThresholdScaling,dip.tornado.exec.*::*,0.01", "-XX:-BackgroundCompilation");

    @Test
    void fastPathsGiveTheSameBitsInterpretedC1AndC2() throws Exception {
        List<String> c1 = digests(C1_ONLY, 3), c2 = digests(C2_EARLY, 300);
        for (String line : c1) assertFalse(line.startsWith("MISMATCH"), "C1 JVM: " + line);
        for (String line : c2) assertFalse(line.startsWith("MISMATCH"), "C2 JVM: " + line);
        assertTrue(c1.size() >= 8, "too few digests: " + c1);
        assertEquals(c1, c2, "C1-only vs early-C2 JVM");
    }

    /** EngineDigest's lines from a fresh JVM with the given flags (plus the Vector API), failing on a non-zero exit. */
    static List<String> digests(List<String> flags, int reps) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.addAll(flags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(EngineDigest.class.getName());
        cmd.add(Integer.toString(reps));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("EngineDigest " + flags + " did not finish");
        }
        assertEquals(0, p.exitValue(), "EngineDigest " + flags + " failed: " + out);
        return out.lines().toList();
    }
}
