package dip.cli;

import dip.trainer.TrainCheckpoint;
import dip.trainer.ToyData;
import dip.trainer.ToyDenoiser;
import dip.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dip train` end to end on the toy model: files, exit codes, resume, and every fault the issue lists. */
class TrainCommandTest {

    /** One CLI invocation: the command object, its exit code and what it printed. */
    record Result(int code, String out, String err) {
        String all() { return out + err; }
    }

    final List<ToyDenoiser> built = new ArrayList<>();
    final List<dip.model.DipConfig> asked = new ArrayList<>();    // the configs the command asked the factory for
    Consumer<ToyDenoiser> onBuild = m -> { };
    int dataClasses = 3;
    TrainCommand last;

    Result run(Object... args) {
        TrainCommand cmd = new TrainCommand((cfg, engine, maxBatch, init) -> {
            asked.add(cfg);
            ToyDenoiser m = new ToyDenoiser(cfg.imageSize(), cfg.channels(), cfg.numClasses(), maxBatch, init);
            built.add(m);
            onBuild.accept(m);
            return m;
        }, (kind, dir, size, channels) -> new ToyData(20, channels, size, dataClasses, 5));
        last = cmd;
        CommandLine cl = withTrain(cmd);
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> a = new ArrayList<>(List.of("train", "--preset", "TINY", "--image-size", "4", "--batch-size", "4",
                "--threads", "1", "--engine", "java", "--samples-per-class", "2", "--sample-steps", "3", "--lr", "1e-2",
                "--ema-decay", "0.9", "--log-every", "1", "--no-sample-every-epoch"));
        for (Object o : args) a.add(o.toString());
        int code = cl.execute(a.toArray(new String[0]));
        return new Result(code, out.toString(), err.toString());
    }

    /** The `dip` command line with its train subcommand replaced by this one (settings re-applied after it). */
    static CommandLine withTrain(TrainCommand cmd) {
        CommandLine cl = DipCommand.commandLine();
        cl.getCommandSpec().removeSubcommand("train");
        return cl.addSubcommand("train", cmd).setCaseInsensitiveEnumValuesAllowed(true)
                .setOverwrittenOptionsAllowed(true);   // so a test can override the defaults it passes
    }

    @Test
    void helpListsTheOptions() {
        CommandLine cl = withTrain(new TrainCommand());
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        assertEquals(0, cl.execute("train", "--help"));
        for (String o : List.of("--epochs", "--preset", "--data", "--data-dir", "--batch-size", "--lr", "--betas",
                "--weight-decay", "--ema-decay", "--class-dropout", "--warmup-steps", "--clip-grad", "--seed", "--engine",
                "--out", "--checkpoint-every", "--resume", "--max-steps", "sample-every-epoch", "--samples-per-class")) {
            assertTrue(out.toString().contains(o), "help lacks " + o);
        }
    }

    @Test
    void aBadFlagIsBadInput(@TempDir Path dir) {
        Result r = run("--epochs", "1", "--data-dir", dir, "--out", dir.resolve("o"), "--bogus");
        assertEquals(2, r.code(), r.all());
        r = run("--epochs", "0", "--data-dir", dir, "--out", dir.resolve("o"));
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--epochs must be >= 1"), r.all());
    }

    @Test
    void headAndPatchSizeOverrideThePreset(@TempDir Path dir) {
        Result r = run("--epochs", "1", "--max-steps", "1", "--data-dir", dir, "--out", dir.resolve("a"),
                "--head", "DIT_ONLY", "--patch-size", "2");
        assertEquals(0, r.code(), r.all());
        assertEquals(dip.model.HeadType.DIT_ONLY, asked.get(0).head());
        assertEquals(2, asked.get(0).patchSize());
        assertTrue(r.out().contains("patchSize=2") && r.out().contains("head=DIT_ONLY"), r.out());
        r = run("--epochs", "1", "--max-steps", "1", "--data-dir", dir, "--out", dir.resolve("b"), "--head", "dip");
        assertEquals(0, r.code(), r.all());
        assertEquals(dip.model.HeadType.DIP, asked.get(1).head());
        assertEquals(4, asked.get(1).patchSize());                           // TINY's
        // a patch size the image size does not divide, and one the detailer head cannot take: one-line errors
        r = run("--epochs", "1", "--data-dir", dir, "--out", dir.resolve("c"), "--patch-size", "3");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().startsWith("error: bad model config: imageSize 4 is not a multiple of patchSize 3\n"), r.err());
        r = run("--epochs", "1", "--data-dir", dir, "--image-size", "3", "--out", dir.resolve("d"), "--patch-size", "3",
                "--head", "DIP");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("a multiple of 16 or a power of two"), r.err());
        assertEquals(2, run("--epochs", "1", "--data-dir", dir, "--out", dir.resolve("e"), "--head", "UNET").code());
        assertEquals(2, asked.size());                                      // no model was built for the bad ones
        // the rest of the shared shape group: width, depth, heads, detailer width
        r = run("--epochs", "1", "--max-steps", "1", "--data-dir", dir, "--out", dir.resolve("f"), "--hidden", "16",
                "--depth", "1", "--heads", "2", "--head-width", "4");
        assertEquals(0, r.code(), r.all());
        assertEquals(new dip.model.DipConfig(4, 4, 1, 16, 1, 2, 3, 4, dip.model.HeadType.DIP, false), asked.get(2));
    }

    @Test
    void twoEpochsWriteCheckpointMetricsPlotAndGrids(@TempDir Path dir) throws Exception {
        Path o = dir.resolve("run");
        Result r = run("--epochs", "2", "--data-dir", dir, "--out", o, "--sample-every-epoch");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("done: 10 steps, 2 full epoch(s)"), r.out());
        assertTrue(r.out().contains("step 10/10 | epoch 2/2 | loss"), r.out());
        assertTrue(!r.out().contains("note: EMA decay"), r.out());              // 0.9 averages over 10 steps: fine
        assertTrue(run("--epochs", "1", "--max-steps", "1", "--ema-decay", "0.999", "--data-dir", dir, "--out",
                dir.resolve("short")).out().contains("note: EMA decay 0.999 averages over about 1000 steps"));
        for (String f : List.of("last.safetensors", "metrics.jsonl", "loss.png", "samples_epoch1.png", "samples_epoch2.png")) {
            assertTrue(Files.isRegularFile(o.resolve(f)), "missing " + f + " in " + o);
        }
        assertEquals(10, Files.readAllLines(o.resolve("metrics.jsonl")).size());
        assertEquals(10, TrainCheckpoint.readHeader(o.resolve("last.safetensors")).step());
    }

    @Test
    void resumeGivesTheSameCheckpointAsAStraightRun(@TempDir Path dir) throws Exception {
        Path straight = dir.resolve("straight"), split = dir.resolve("split");
        assertEquals(0, run("--epochs", "3", "--max-steps", "12", "--data-dir", dir, "--out", straight, "--seed", "4").code());
        assertEquals(0, run("--epochs", "3", "--max-steps", "7", "--data-dir", dir, "--out", split, "--seed", "4").code());
        Result r = run("--epochs", "3", "--max-steps", "12", "--resume", split, "--lr", "0.5");   // data from the checkpoint
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("resuming at step 7"), r.out());
        assertTrue(r.out().contains("--lr is ignored on --resume"), r.out());
        var a = Safetensors.read(straight.resolve("last.safetensors"));
        var b = Safetensors.read(split.resolve("last.safetensors"));
        assertEquals(a.tensors().keySet(), b.tensors().keySet());
        for (String name : a.tensors().keySet()) {
            var ta = a.tensors().get(name);
            if (ta.dtype().isFloat()) assertArrayEquals(ta.floats(), b.tensor(name).floats(), 0f, name);
            else assertArrayEquals(ta.longs(), b.tensor(name).longs(), name);
        }
        var ma = new java.util.HashMap<>(a.metadata());
        var mb = new java.util.HashMap<>(b.metadata());
        assertEquals(dir.toAbsolutePath().toString(), ma.remove("data_dir"));
        mb.remove("data_dir");
        assertEquals(ma, mb);
        assertEquals(12, Files.readAllLines(split.resolve("metrics.jsonl")).size());
    }

    @Test
    void missingDataNamesThePathAndHowToGetIt(@TempDir Path dir) {
        Path nowhere = dir.resolve("no-such-dir");
        Result r = run("--epochs", "1", "--data-dir", nowhere, "--out", dir.resolve("o"));
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains(nowhere.toString()) && r.err().contains("download"), r.err());
        r = run("--epochs", "1", "--data", "folder", "--out", dir.resolve("o"));
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--data-dir"), r.err());
    }

    @Test
    void resumingOnDataWithOtherClassesIsRefused(@TempDir Path dir) throws Exception {
        Path o = dir.resolve("run");
        assertEquals(0, run("--epochs", "1", "--max-steps", "2", "--data-dir", dir, "--out", o).code());
        byte[] before = Files.readAllBytes(o.resolve("last.safetensors"));
        dataClasses = 5;
        Result r = run("--epochs", "1", "--data-dir", dir, "--resume", o);
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("3 classes") && r.err().contains("5 classes"), r.err());
        assertArrayEquals(before, Files.readAllBytes(o.resolve("last.safetensors")));
    }

    @Test
    void aCorruptCheckpointIsRefusedAndNothingIsOverwritten(@TempDir Path dir) throws Exception {
        Path o = dir.resolve("run");
        assertEquals(0, run("--epochs", "1", "--max-steps", "2", "--data-dir", dir, "--out", o).code());
        Path ck = o.resolve("last.safetensors");
        byte[] cut = java.util.Arrays.copyOf(Files.readAllBytes(ck), (int) Files.size(ck) - 8);
        Files.write(ck, cut);
        byte[] metrics = Files.readAllBytes(o.resolve("metrics.jsonl"));
        Result r = run("--epochs", "1", "--data-dir", dir, "--resume", o);
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("cannot resume") && r.err().contains(ck.toString()), r.err());
        assertEquals(1, r.err().lines().count(), r.err());                   // no "try --help": help cannot fix a file
        assertArrayEquals(cut, Files.readAllBytes(ck));
        assertArrayEquals(metrics, Files.readAllBytes(o.resolve("metrics.jsonl")));
    }

    @Test
    void aNanLossStopsWithTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Path o = dir.resolve("run");
        onBuild = m -> m.afterForward = n -> { if (n == 2) m.poison = true; };    // step 3's forward gives NaN
        Result r = run("--epochs", "2", "--checkpoint-every", "1", "--no-sample-every-epoch", "--data-dir", dir, "--out", o);
        assertEquals(1, r.code(), r.all());
        assertTrue(r.out().contains("at step 3") && r.out().contains("last good checkpoint")
                && r.out().contains("(step 2)"), r.out());
        assertEquals(2, TrainCheckpoint.readHeader(o.resolve("last.safetensors")).step());
    }

    @Test
    void aStopRequestSavesAndExitsCleanly(@TempDir Path dir) throws Exception {
        Path o = dir.resolve("run");
        onBuild = m -> m.afterForward = n -> { if (n == 3) last.requestStop(); };  // as the SIGINT handler does
        Result r = run("--epochs", "2", "--no-sample-every-epoch", "--data-dir", dir, "--out", o);
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("stopped at step 3") && r.out().contains("--resume " + o), r.out());
        assertEquals(3, TrainCheckpoint.readHeader(o.resolve("last.safetensors")).step());
    }

    @Test
    void aFreshRunDoesNotOverwriteAnExistingOne(@TempDir Path dir) throws Exception {
        Path o = dir.resolve("run");
        assertEquals(0, run("--epochs", "1", "--max-steps", "1", "--data-dir", dir, "--out", o).code());
        Result r = run("--epochs", "1", "--data-dir", dir, "--out", o);
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--resume"), r.err());
    }

    @Test
    void aFullDiskNamesTheFileTheStepAndTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Path full = Path.of("/dev/full");                    // every write to it fails with ENOSPC, as a full disk
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(full), "no /dev/full here");
        Path o = dir.resolve("run");
        // after step 2's checkpoint, the next checkpoint's temp file is a link to /dev/full: step 3's save hits ENOSPC
        onBuild = m -> m.afterForward = n -> {
            if (n == 3) {
                try {
                    Files.createSymbolicLink(o.resolve("last.safetensors.tmp"), full);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        Result r = run("--epochs", "2", "--checkpoint-every", "1", "--data-dir", dir, "--out", o);
        assertEquals(1, r.code(), r.all());
        Path last = o.resolve("last.safetensors");
        assertTrue(r.out().contains("error: cannot write " + last + " at step 3: ")
                && r.out().contains("No space left on device")
                && r.out().contains("the last good checkpoint " + last + " (step 2) is intact"), r.out());
        assertEquals(2, TrainCheckpoint.readHeader(last).step());
        assertTrue(!Files.exists(o.resolve("last.safetensors.tmp"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aStaleTempFromAKilledCheckpointWriteIsRemovedOnTheNextStart(@TempDir Path dir) throws Exception {
        Path o = dir.resolve("run");
        assertEquals(0, run("--epochs", "1", "--max-steps", "2", "--data-dir", dir, "--out", o).code());
        byte[] good = Files.readAllBytes(o.resolve("last.safetensors"));
        Path tmp = o.resolve("last.safetensors.tmp"), keepTmp = o.resolve("step_00000004.safetensors.tmp");
        Files.write(tmp, java.util.Arrays.copyOf(good, good.length / 2));      // as a kill -9 mid-write leaves it
        Files.write(keepTmp, new byte[]{1, 2, 3});
        Path other = Files.writeString(o.resolve("notes.tmp"), "mine");         // not ours: left alone
        Result r = run("--epochs", "1", "--max-steps", "3", "--data-dir", dir, "--resume", o);
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("note: removed " + tmp + ", left by an interrupted checkpoint write"), r.out());
        assertTrue(!Files.exists(tmp) && !Files.exists(keepTmp) && Files.exists(other), r.out());
        assertEquals(3, TrainCheckpoint.readHeader(o.resolve("last.safetensors")).step());
    }

    @Test
    void fewerImagesThanOneBatchIsRefusedBeforeAnythingIsCreated(@TempDir Path dir) {
        Path o = dir.resolve("never");
        Result r = run("--epochs", "1", "--data-dir", dir, "--out", o, "--batch-size", "32");    // ToyData has 20
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("fewer usable images than one batch of 32")
                && r.err().contains("--batch-size 20"), r.err());
        assertTrue(!r.err().contains("--help"), r.err());                    // not a flag mistake
        assertTrue(!Files.exists(o), "created " + o);
        assertTrue(asked.isEmpty());
    }

    @Test
    void resumeKeepsCheckpointEveryAndTheContinueLineKeepsMaxSteps(@TempDir Path dir) throws Exception {
        Path o = dir.resolve("run");
        onBuild = m -> m.afterForward = n -> { if (n == 2) last.requestStop(); };
        Result r = run("--epochs", "4", "--max-steps", "9", "--checkpoint-every", "3", "--data-dir", dir, "--out", o);
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("Continue with: scripts/trainer --resume " + o + " --epochs 4 --max-steps 9"), r.out());
        assertTrue(Files.isRegularFile(o.resolve("loss.png")), "a run stopped before its first epoch end has loss.png");
        // resumed without --checkpoint-every: still every 3 steps (steps 3, 6), seen through the checkpoints it writes
        List<Long> saved = new ArrayList<>();
        onBuild = m -> m.afterForward = n -> { };
        TrainCommand cmd = new TrainCommand((cfg, engine, maxBatch, init) -> new ToyDenoiser(cfg.imageSize(), cfg.channels(),
                cfg.numClasses(), maxBatch, init), (kind, d, size, channels) -> new ToyData(20, channels, size, dataClasses, 5));
        cmd.writer = (file, st, desc, extra) -> {
            saved.add(st.step());
            TrainCheckpoint.save(file, st, desc, extra);
        };
        CommandLine cl = withTrain(cmd);
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(0, cl.execute("train", "--epochs", "4", "--max-steps", "7", "--resume", o.toString(), "--threads", "1",
                "--engine", "java", "--no-sample-every-epoch"));
        assertEquals(List.of(3L, 5L, 6L, 7L), saved);                      // 5 = the epoch end (20 images / 4)
    }

    @Test
    void betasHelpAsksForOnePair() {
        CommandLine cl = withTrain(new TrainCommand());
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        assertEquals(0, cl.execute("train", "--help"));
        assertTrue(out.toString().contains("--betas=B1,B2") && !out.toString().contains("[--betas=B1,B2]...")
                && !out.toString().contains("[,B1,B2"), out.toString());
        Result r = new TrainCommandTest().run("--epochs", "1", "--betas", "0.9,0.99,0.9,0.99");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("expected two numbers A,B, got '0.9,0.99,0.9,0.99'"), r.err());
    }
}
