package dip.test;

import dip.io.Npz;
import dip.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The npz `dip sample --npz` streams must load with numpy as the ADM evaluator loads it ({@code np.load(f)["arr_0"]}):
 * shape, dtype, every byte (by checksum) and the labels. Runs when /usr/bin/python3 has numpy (Debian python3-numpy,
 * which python3-torch brings in CI); skipped otherwise.
 */
class NpzInNumpyTest {
    static boolean hasNumpy(File python) {
        try {
            Process p = new ProcessBuilder(python.getPath(), "-c", "import numpy").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void numpyLoadsTheStreamedNpz(@TempDir Path dir) throws Exception {
        int N = 5, S = 96, C = 3, per = C * S * S;     // 138 KB of pixels: several deflate stored blocks, three appends
        float[] x = new Rng(3).normal(N * per);
        int[] labels = {7, 0, 999, 3, 3};
        Path f = dir.resolve("samples.npz");
        try (var w = new Npz.Writer(f, N, S, S, C)) {
            w.append(java.util.Arrays.copyOfRange(x, 0, 2 * per), 2);
            w.append(java.util.Arrays.copyOfRange(x, 2 * per, 3 * per), 1);
            w.append(java.util.Arrays.copyOfRange(x, 3 * per, 5 * per), 2);
            w.finish(labels);
        }
        var im = Npz.readImages(f);
        long sum = 0, weighted = 0;
        for (int i = 0; i < im.pixels().length; i++) {
            sum += im.pixels()[i] & 0xFF;
            weighted += (long) (im.pixels()[i] & 0xFF) * (i % 251);
        }
        File python = new File("/usr/bin/python3");
        assumeTrue(python.canExecute() && hasNumpy(python), "no /usr/bin/python3 with numpy: numpy half skipped");
        String code = "import numpy as np, sys\n"
                + "d = np.load(sys.argv[1])\n"
                + "a = d['arr_0']; flat = a.reshape(-1).astype(np.int64)\n"
                + "print(a.shape, a.dtype, int(flat.sum()), int((flat * (np.arange(flat.size) % 251)).sum()), d['arr_1'].tolist())\n";
        Process p = new ProcessBuilder(python.getPath(), "-c", code, f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(60, TimeUnit.SECONDS);
        System.out.println("numpy: " + out);
        assertEquals(0, p.exitValue(), out);
        assertEquals("(5, 96, 96, 3) uint8 " + sum + " " + weighted + " [7, 0, 999, 3, 3]", out);
    }
}
