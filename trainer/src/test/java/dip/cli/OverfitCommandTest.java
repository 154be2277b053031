package dip.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dip experiment overfit` end to end on a tiny config and a handful of steps: exit codes, table, files. */
class OverfitCommandTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = DipCommand.commandLine().setOverwrittenOptionsAllowed(true);   // a test overrides the tiny defaults
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A 12×10 RGB PNG with a diagonal gradient (centre-cropped to 8×8 by the command). */
    static Path png(Path dir) throws Exception {
        var img = new BufferedImage(12, 10, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 10; y++) for (int x = 0; x < 12; x++) img.setRGB(x, y, (x * 20) << 16 | (y * 25) << 8 | ((x + y) * 10));
        Path f = dir.resolve("one.png");
        ImageIO.write(img, "png", f.toFile());
        return f;
    }

    static String[] tiny(Path image, Path out, String... more) {
        var a = new java.util.ArrayList<>(java.util.List.of("experiment", "overfit", "--image", image.toString(),
                "--image-size", "8", "--patch-size", "4", "--hidden", "16", "--depth", "1", "--heads", "1", "--head-width", "4",
                "--steps", "3", "--batch-size", "2", "--samples", "2", "--sample-steps", "2", "--scale", "2", "--log-every", "1",
                "--threads", "1", "--engine", "java", "--out", out.toString()));
        a.addAll(java.util.List.of(more));
        return a.toArray(new String[0]);
    }

    @Test
    void trainsBothModelsAndWritesTheFigureAndTables(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("o");
        Run r = run(tiny(png(dir), out));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("DIT_ONLY step 3/3 | loss") && r.out().contains("DIP      step 3/3 | loss"), r.out());
        assertTrue(r.out().matches("(?s).*\\| DIT_ONLY \\| [0-9,]+ \\| [0-9.]+ \\| -?[0-9.]+ \\|.*\\| DIP \\| [0-9,]+ \\|.*"), r.out());
        for (String f : new String[]{"overfit.png", "results.md", "results.json"}) assertTrue(Files.isRegularFile(out.resolve(f)), f);
        BufferedImage fig = ImageIO.read(out.resolve("overfit.png").toFile());
        assertTrue(fig.getWidth() >= 3 * 16 && fig.getHeight() >= 2 * 16, fig.getWidth() + "x" + fig.getHeight());
        String json = Files.readString(out.resolve("results.json"));
        assertTrue(json.contains("\"head\": \"DIT_ONLY\"") && json.contains("\"head\": \"DIP\"") && json.contains("\"psnr\": ["), json);
    }

    @Test
    void badConfigAndMissingImageAreOneLineErrors(@TempDir Path dir) throws Exception {
        Run r = run(tiny(png(dir), dir.resolve("o"), "--patch-size", "3", "--image-size", "9"));
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: bad model config: the Patch Detailer Head needs a patch size that is a multiple of 16 or a power of two"), r.err());
        r = run(tiny(dir.resolve("missing.png"), dir.resolve("o")));
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("missing.png"), r.err());
        assertEquals(2, run(tiny(png(dir), dir.resolve("o"), "--steps", "0")).code());
        r = run(tiny(png(dir), dir.resolve("o"), "--head", "DIP"));                 // it trains both heads
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: --head does not apply to overfit"), r.err());
    }
}
