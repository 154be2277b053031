package dip.test;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM too small for the model: `dip bench step --preset XL16` (425 million parameters) in a fresh JVM with a 64 MiB
 * heap ends with exit 1 and one line saying how to give the JVM more memory, not a stack trace.
 */
class OutOfHeapTest {

    @Test
    void aHeapTooSmallForTheModelGivesOneLineAndExitOne() throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "dip.cli.DipCommand",
                "bench", "step", "--preset", "XL16");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not end");
        assertEquals(1, p.exitValue(), out);
        List<String> lines = out.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("error: the JVM ran out of heap memory (its limit is ") && last.contains("JAVA_OPTS=-Xmx"), out);
        assertTrue(lines.stream().noneMatch(l -> l.contains("OutOfMemoryError") || l.startsWith("\tat ")), "no stack trace:\n" + out);
    }
}
