package dip.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dip bench engines` on the java engine alone (the device rows need TornadoVM: scripts/gpu-check.sh, CI's PoCL). */
class BenchEnginesCommandTest {

    @Test
    void timesASamplingAndATrainingStepAndWritesTheReport(@TempDir Path dir) throws Exception {
        Path report = dir.resolve("engines.md");
        DipCommandTest.Run r = DipCommandTest.run("bench", "engines", "--engine", "java", "--threads", "1", "--presets", "TINY",
                "--batch-size", "2", "--repeat", "2", "--report", report.toString());
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*\\nTINY +sample +java +[0-9.]+ +[0-9.]+ .*\\nTINY +train +java +[0-9.]+ +[0-9.]+ .*"), r.out());
        String md = Files.readString(report);
        assertTrue(md.contains("| preset | step | engine |") && md.contains("| TINY | train | java |"), md);
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path dir) {
        DipCommandTest.Run only = DipCommandTest.run("bench", "engines", "--engine", "java", "--only", "infer");
        assertEquals(ExitCodes.BAD_INPUT, only.code(), only.err());
        assertTrue(only.err().startsWith("error: --only takes sample or train"), only.err());
        DipCommandTest.Run check = DipCommandTest.run("bench", "engines", "--engine", "java", "--no-java", "--check", "1e-3");
        assertEquals(ExitCodes.BAD_INPUT, check.code(), check.err());
        DipCommandTest.Run folder = DipCommandTest.run("bench", "engines", "--engine", "java", "--report",
                dir.resolve("missing/engines.md").toString());
        assertEquals(ExitCodes.BAD_INPUT, folder.code(), folder.err());
        assertTrue(folder.err().contains("does not exist"), folder.err());
    }
}
