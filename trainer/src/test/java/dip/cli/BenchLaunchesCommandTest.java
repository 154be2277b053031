package dip.cli;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dip bench launches`: a step's kernel launches counted without a device. */
class BenchLaunchesCommandTest {

    @Test
    void countsTheLaunchesOfASamplingAndATrainingStep() {
        DipCommandTest.Run r = DipCommandTest.run("bench", "launches", "--presets", "TINY", "--batch-size", "2", "--per-kernel");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        Matcher sample = Pattern.compile("\\nTINY +sample +(\\d+) ").matcher(r.out());
        Matcher train = Pattern.compile("\\nTINY +train +(\\d+) ").matcher(r.out());
        assertTrue(sample.find() && train.find(), r.out());
        int s = Integer.parseInt(sample.group(1)), t = Integer.parseInt(train.group(1));
        assertTrue(s > 10 && t > 2 * s, "a training step (forward, backward, optimiser) launches more than twice a sampling step: " + r.out());
        assertTrue(r.out().contains("adamwEma") && r.out().contains("matmulBackwardWeight"), r.out());
    }

    @Test
    void badOptionsAreUsageErrors() {
        DipCommandTest.Run only = DipCommandTest.run("bench", "launches", "--only", "infer");
        assertEquals(ExitCodes.BAD_INPUT, only.code(), only.err());
        assertTrue(only.err().startsWith("error: --only takes sample or train"), only.err());
        DipCommandTest.Run batch = DipCommandTest.run("bench", "launches", "--batch-size", "0");
        assertEquals(ExitCodes.BAD_INPUT, batch.code(), batch.err());
    }
}
